import { and, asc, count, eq, isNull } from "drizzle-orm";
import type { z } from "zod";
import type { Config } from "../../config";
import { insertUnderCap } from "../../db/capped";
import { controlDb } from "../../db/control/client";
import { type IssuerRow, issuers } from "../../db/control/schema";
import { sqliteConstraint } from "../../db/errors";
import { encryptSecret, importKeyring, type SecretBinding } from "../../lib/crypto";
import { ApiError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { capOf, planLimit } from "../../lib/plans";
import { auditedControlChange } from "../audit/control";
import { authorizeWorkspace, requireUser } from "../core/access";
import { parseInput, type ServiceArgs } from "../core/context";
import { checkedTargetUrl } from "../outbound";
import { requireVerifiedEmail } from "../verified";
import type { Issuer } from "./schemas";
import {
  type CreateIssuerInput,
  createIssuerInput,
  ISSUERS_NEEDS,
  issuerTarget,
  workspaceScoped,
} from "./schemas";

/** An issuer as callers see it: its secret is write-only and never returned (architecture §6). */
export type IssuerView = z.infer<typeof Issuer>;

const issuerView = (row: IssuerRow): IssuerView => ({
  id: row.id,
  name: row.name,
  kind: row.kind,
  issuer: row.issuer,
  audience: row.audience,
  jwksUrl: row.jwksUrl,
  roleClaim: row.roleClaim,
  defaultRole: row.defaultRole,
  hasSecret: row.secretEnc !== null,
  tables: row.tables ? (JSON.parse(row.tables) as string[]) : null,
  createdBy: row.createdBy,
  createdAt: row.createdAt,
  disabledAt: row.disabledAt,
  disabledReason: row.disabledReason,
});

export const issuerSecretBinding = (workspaceId: string, issuerId: string): SecretBinding => ({
  workspaceId,
  kind: "issuer_secret",
  recordId: issuerId,
});

/**
 * JWKS URLs go through the outbound guard (architecture §7) when registered, and again at every fetch:
 * https, no credentials, a public host whose every resolved address is public. Plain-http
 * loopback only with ISLET_INSECURE_LOCAL outside production (local tests).
 */
export const checkJwksUrl = (config: Config, raw: string): Promise<string> =>
  checkedTargetUrl(config, "jwksUrl", raw);

/** Issuer administration is for admins, in person: a key cannot open a new way in. */
const manageNeed = ISSUERS_NEEDS.manage;

/**
 * Registers an external token issuer for the workspace (architecture §3: bring your own auth). Tokens
 * it signs act as `member` or `viewer` end users of this workspace only.
 */
export async function createIssuer({ ctx, input: raw }: ServiceArgs<CreateIssuerInput>): Promise<IssuerView> {
  const input = parseInput(createIssuerInput, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, manageNeed);
  const { userId } = requireUser(ctx);
  await requireVerifiedEmail(ctx, userId);
  if (input.issuer === ctx.config.PUBLIC_URL) {
    throw new ApiError("invalid_request", "issuer must not be islet's own issuer", {
      details: { field: "issuer" },
    });
  }
  const id = newId("iss");
  let secretEnc: string | null = null;
  let jwksUrl: string | null = null;
  if (input.kind === "hs256") {
    // RFC 7518 §3.2: an HS256 key must be at least as long as the hash output (256 bits).
    if (!input.secret || input.secret.length < 32 || input.jwksUrl) {
      throw new ApiError(
        "invalid_request",
        "hs256 issuers take a secret of at least 32 characters and no jwksUrl",
        {
          details: { field: "secret" },
        },
      );
    }
    const keyring = await importKeyring(ctx.config.ISLET_KEYRING);
    secretEnc = await encryptSecret(keyring, input.secret, issuerSecretBinding(access.workspace.id, id));
  } else {
    if (!input.jwksUrl || input.secret) {
      throw new ApiError("invalid_request", "jwks issuers take a jwksUrl and no secret", {
        details: { field: "jwksUrl" },
      });
    }
    jwksUrl = await checkJwksUrl(ctx.config, input.jwksUrl);
  }
  const row: IssuerRow = {
    id,
    workspaceId: access.workspace.id,
    name: input.name,
    kind: input.kind,
    issuer: input.issuer,
    audience: input.audience,
    secretEnc,
    jwksUrl,
    roleClaim: input.roleClaim ?? "role",
    defaultRole: input.defaultRole,
    createdBy: userId,
    createdAt: Date.now(),
    disabledAt: null,
    disabledReason: null,
    tables: input.tables ? JSON.stringify([...new Set(input.tables)]) : null,
  };
  const db = controlDb(ctx.config);
  await auditedControlChange(ctx, access, {
    apply: async () => {
      try {
        // Enabled issuers are counted in the insert itself, so parallel creates stop at the cap.
        const enabled = db
          .select({ n: count() })
          .from(issuers)
          .where(and(eq(issuers.workspaceId, access.workspace.id), isNull(issuers.disabledAt)));
        const limit = capOf(access.workspace.plan, "issuers");
        const inserted = await db.run(insertUnderCap(issuers, row, enabled, limit));
        if (inserted.rowsAffected === 0) throw planLimit("issuers", access.workspace.plan, limit);
      } catch (error) {
        if (sqliteConstraint(error)?.kind === "unique") {
          throw new ApiError("conflict", "This workspace already has an issuer with that `issuer`", {
            details: { field: "issuer" },
          });
        }
        throw error;
      }
    },
    undo: () => db.delete(issuers).where(eq(issuers.id, id)),
    event: () => ({
      action: "issuer.create",
      targetType: "issuer",
      targetId: id,
      details: {
        name: row.name,
        kind: row.kind,
        issuer: row.issuer,
        audience: row.audience,
        jwksUrl,
        tables: input.tables ?? null,
      },
    }),
  });
  return issuerView(row);
}

export async function listIssuers({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string }>): Promise<IssuerView[]> {
  const input = parseInput(workspaceScoped, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, manageNeed);
  const rows = await controlDb(ctx.config)
    .select()
    .from(issuers)
    .where(eq(issuers.workspaceId, access.workspace.id))
    .orderBy(asc(issuers.createdAt));
  return rows.map(issuerView);
}

/** Deletes an issuer: its tokens are refused from the next request (no cache). */
export async function deleteIssuer({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; issuerId: string }>): Promise<void> {
  const input = parseInput(issuerTarget, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, manageNeed);
  const db = controlDb(ctx.config);
  const byId = and(eq(issuers.id, input.issuerId), eq(issuers.workspaceId, access.workspace.id));
  const [row] = await db.select().from(issuers).where(byId);
  if (!row) throw new ApiError("not_found", "Issuer not found");
  await auditedControlChange(ctx, access, {
    apply: () => db.delete(issuers).where(byId),
    undo: () => db.insert(issuers).values(row),
    event: () => ({
      action: "issuer.delete",
      targetType: "issuer",
      targetId: row.id,
      details: { name: row.name, issuer: row.issuer },
    }),
  });
}
