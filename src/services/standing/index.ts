// A standing arrangement (a webhook endpoint, an API account, a function's secret binding) acts
// long after the request that set it up. architecture §3: it answers to its creator, and stops the
// moment its creator could no longer have made it. This module answers one question — may the
// principal behind an arrangement still do what the arrangement does? — by rebuilding that
// principal as it stands now and asking the one authorization check (access.ts) on its behalf.
import { eq } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { keyAncestry, newestRotation } from "../../db/control/key-lineage";
import { apiKeys, users } from "../../db/control/schema";
import { isApiError } from "../../lib/errors";
import { ID_FORMATS } from "../../lib/ids";
import { authorizeWorkspace, type WorkspaceNeed } from "../core/access";
import type { Actor } from "../core/actor";
import type { ServiceContext } from "../core/context";

export { disableArrangement, endArrangementsOf } from "./end";

/** Who set an arrangement up, from the id it stores (`created_by`). */
export type Creator =
  | { kind: "user"; id: string }
  | { kind: "key"; id: string }
  | { kind: "other"; id: string };

export function creatorOf(createdBy: string): Creator {
  if (ID_FORMATS.user.test(createdBy)) return { kind: "user", id: createdBy };
  if (ID_FORMATS.key.test(createdBy)) return { kind: "key", id: createdBy };
  return { kind: "other", id: createdBy };
}

/** The principal an arrangement records as its creator: a user, or an API key. */
export function creatorIdOf(actor: Actor): string | null {
  if (actor.type === "user") return actor.userId;
  if (actor.type === "apiKey") return actor.keyId;
  return null;
}

export interface Arrangement {
  createdBy: string;
  /** When `createdBy` last stood behind it: an account that proved its address only later may be a squatter's. */
  since: number;
}

export type Standing = { ok: true; actor: Actor } | { ok: false; reason: string };

const lost = (reason: string): Standing => ({ ok: false, reason });

/** An account that is gone, or that had not proved it owns its address when it made the arrangement. */
async function accountStanding(ctx: ServiceContext, userId: string, since: number): Promise<string | null> {
  const [user] = await controlDb(ctx.config)
    .select({ deletedAt: users.deletedAt, verifiedAt: users.emailVerifiedAt })
    .from(users)
    .where(eq(users.id, userId));
  if (!user || user.deletedAt !== null) return "its creator's account was deleted";
  // The address's owner claiming an unverified account (reset, OIDC) verifies it from then on:
  // what the account made before was made by whoever held it, perhaps a squatter.
  if (user.verifiedAt === null || user.verifiedAt > since) {
    return "its creator had not verified their email address when it was made";
  }
  return null;
}

/**
 * The creator of an arrangement as it stands now: a user who still has an account that had
 * proved its address, or a key that is still live (not revoked, expired, nor below a revoked key)
 * and whose own creator still has such an account. What the principal may do is asked next.
 */
export async function creatorStanding(
  ctx: ServiceContext,
  workspaceId: string,
  arrangement: Arrangement,
): Promise<Standing> {
  const creator = creatorOf(arrangement.createdBy);
  if (creator.kind === "user") {
    const reason = await accountStanding(ctx, creator.id, arrangement.since);
    return reason
      ? lost(reason)
      : { ok: true, actor: { type: "user", userId: creator.id, sessionId: "", issuedAt: 0 } };
  }
  if (creator.kind === "other")
    return lost("its creator is neither a member nor an API key of the workspace");
  const db = controlDb(ctx.config);
  const now = Date.now();
  let [key] = await db.select().from(apiKeys).where(eq(apiKeys.id, creator.id));
  // A rotated key's newest successor stands in for it: rotating a key (daily, say) keeps what it
  // set up working, and revoking any key of the chain revokes the ones after it (keys/revoke.ts),
  // so this adds no authority.
  if (key?.rotatedTo) {
    [key] = await db
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.id, await newestRotation(ctx.config, key.id)));
  }
  if (!key || key.workspaceId !== workspaceId) return lost("the API key that made it no longer exists");
  if (key.revokedAt !== null && key.revokedAt <= now) return lost("the API key that made it was revoked");
  if (key.expiresAt !== null && key.expiresAt <= now) return lost("the API key that made it expired");
  if (key.parentId !== null) {
    const ancestors = await keyAncestry(ctx.config, key.parentId);
    if (ancestors.some((a) => a.revokedAt !== null && a.revokedAt <= now)) {
      return lost("a key above the API key that made it was revoked");
    }
  }
  // The key's creator had proved their address when the key was made (its successor's: whoever
  // rotated it, who had to be verified to do so).
  const reason = await accountStanding(ctx, key.createdBy, key.createdAt);
  if (reason) return lost(reason.replace("its creator", "the creator of the API key that made it"));
  return {
    ok: true,
    actor: {
      type: "apiKey",
      keyId: key.id,
      workspaceId: key.workspaceId,
      scopes: JSON.parse(key.scopes) as string[],
      tables: key.tables ? (JSON.parse(key.tables) as string[]) : null,
      createdBy: key.createdBy,
    },
  };
}

/**
 * Whether `actor` (an arrangement's creator, as it stands) may do `need` in the workspace now:
 * access.ts decides, exactly as it would for a request of theirs. Returns why not, or null.
 */
export async function refusalFor(
  ctx: ServiceContext,
  workspaceId: string,
  actor: Actor,
  need: WorkspaceNeed,
): Promise<string | null> {
  try {
    await authorizeWorkspace({ ...ctx, actor }, workspaceId, need);
    return null;
  } catch (error) {
    if (!isApiError(error)) throw error;
    if (error.code === "unavailable") throw error;
    return error.code === "not_found"
      ? "its creator is no longer a member of the workspace"
      : `its creator may no longer do this: ${error.message}`;
  }
}

/**
 * An arrangement's standing for `need`: its creator as it stands, and what that creator may do.
 * The answer carries the creator's access when it holds (a caller may go on to check more needs).
 */
export async function standingFor(
  ctx: ServiceContext,
  workspaceId: string,
  arrangement: Arrangement,
  need: WorkspaceNeed,
): Promise<Standing> {
  const creator = await creatorStanding(ctx, workspaceId, arrangement);
  if (!creator.ok) return creator;
  const refusal = await refusalFor(ctx, workspaceId, creator.actor, need);
  return refusal ? lost(refusal) : creator;
}
