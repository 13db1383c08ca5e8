// End-user token issuers in the workspace archive (src/services/core/archive.ts): one `issuer` line
// each, never its secret. Whoever imports may add an hs256 issuer's `secret`; an import without one
// makes a new secret and returns it this once. Issuers the archive had disabled are reported, not
// registered again, so an import never turns trust back on.
import { count, eq } from "drizzle-orm";
import { z } from "zod";
import { controlDb } from "../../db/control/client";
import { issuers as issuersTable } from "../../db/control/schema";
import { randomBytes } from "../../lib/crypto";
import { bytesToBase64Url } from "../../lib/encoding";
import { capOf, planLimit } from "../../lib/plans";
import { requireUser } from "../core/access";
import { type ArchiveSection, onlyOnce } from "../core/archive";
import { epochMs } from "../core/schemas";
import { checkedTargetUrl } from "../outbound";
import { userName } from "../tables/definition";
import { requireVerifiedEmail } from "../verified";
import { createIssuer, deleteIssuer, listIssuers } from "./manage";
import { createIssuerBody, Issuer } from "./schemas";

const issuerLine = z.object({
  type: z.literal("issuer"),
  // The exported view carries more (who made it, when): read as a plain object, extras dropped.
  issuer: z.object({
    ...createIssuerBody.omit({ secret: true, jwksUrl: true, roleClaim: true, tables: true }).shape,
    jwksUrl: createIssuerBody.shape.jwksUrl.nullable(),
    roleClaim: createIssuerBody.shape.roleClaim,
    tables: z.array(userName).max(100).nullable(),
    /** Set on an issuer that was disabled: the import does not re-register it. */
    disabledAt: epochMs.nullable().optional(),
  }),
  /** hs256 only: the shared secret; without it, the import makes a new one and returns it once. */
  secret: createIssuerBody.shape.secret,
});
type Line = z.infer<typeof issuerLine>;
const Made = z.object({ issuer: Issuer, secret: z.string().optional() });
type Imported = { issuers: z.infer<typeof Made>[]; skippedIssuers: string[] };

export const issuersArchive: ArchiveSection<Line, Line[], Imported> = {
  lines: { issuer: issuerLine },
  limit: 200,
  noun: "issuers",
  async *export(ctx, workspaceId) {
    for (const issuer of await listIssuers({ ctx, input: { workspaceId } })) yield { type: "issuer", issuer };
  },
  plan() {
    const issuers: Line[] = [];
    const once = onlyOnce("Issuer");
    return {
      add(line, at) {
        once(line.issuer.issuer, at);
        if (
          (line.issuer.kind === "jwks") !== (line.issuer.jwksUrl !== null) ||
          (line.secret && line.issuer.kind !== "hs256")
        ) {
          throw at.problem("jwks issuers take a jwksUrl, hs256 issuers a secret (or none, for a new one)");
        }
        issuers.push(line);
      },
      done: () => issuers,
    };
  },
  // Issuers live in the control database, by workspace.
  held: {
    async count(ctx, workspaceId) {
      const [held] = await controlDb(ctx.config)
        .select({ n: count() })
        .from(issuersTable)
        .where(eq(issuersTable.workspaceId, workspaceId));
      return held?.n ?? 0;
    },
  },
  async precheck({ ctx, access }, plan) {
    if (plan.length === 0) return;
    for (const entry of plan) {
      if (entry.issuer.jwksUrl) await checkedTargetUrl(ctx.config, "jwksUrl", entry.issuer.jwksUrl);
    }
    await requireVerifiedEmail(ctx, requireUser(ctx).userId);
    if (plan.filter((e) => !e.issuer.disabledAt).length > capOf(access.workspace.plan, "issuers")) {
      throw planLimit("issuers", access.workspace.plan);
    }
  },
  async apply({ ctx, access }, plan, made) {
    const workspaceId = access.workspace.id;
    const issuers: Imported["issuers"] = [];
    const skippedIssuers: string[] = [];
    for (const entry of plan) {
      // One that was disabled (its creator lost the authority, or it was shut off) stays off.
      if (entry.issuer.disabledAt) {
        skippedIssuers.push(entry.issuer.issuer);
        continue;
      }
      const { jwksUrl, disabledAt: _disabled, ...rest } = entry.issuer;
      // A new hs256 secret when none came with the archive: 256 random bits (RFC 7518 §3.2).
      const fresh = rest.kind === "hs256" && !entry.secret ? bytesToBase64Url(randomBytes(32)) : undefined;
      const issuer = await createIssuer({
        ctx,
        input: {
          workspaceId,
          ...rest,
          ...(jwksUrl ? { jwksUrl } : {}),
          ...(rest.kind === "hs256" ? { secret: entry.secret ?? fresh } : {}),
        },
      });
      made.push(issuer.id);
      issuers.push(fresh ? { issuer, secret: fresh } : { issuer });
    }
    return { issuers, skippedIssuers };
  },
  undo: {
    async outside({ ctx, access }, made) {
      for (const issuerId of made) {
        await deleteIssuer({ ctx, input: { workspaceId: access.workspace.id, issuerId } });
      }
    },
  },
  result: {
    /** Each issuer; `secret` when the import made a new hs256 secret, shown this once. */
    issuers: z.array(Made),
    /** Issuers the archive had disabled (by their `issuer`): not re-registered. */
    skippedIssuers: z.array(z.string()),
  },
  audited: (result) => ({ issuers: result.issuers.length }),
};
