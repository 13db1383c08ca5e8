import type { InStatement } from "@libsql/client/web";
import { commitWithAudit } from "../audit";
import type { WorkspaceAccess } from "../core/access";
import type { ServiceContext } from "../core/context";

/** The arrangements a principal may have made, per kind: its table, its key column, how it stops. */
const ARRANGEMENTS = [
  {
    kind: "webhook",
    find: "SELECT id FROM _islet_webhooks WHERE enabled = 1 AND created_by IN",
    disable: (id: string, reason: string, now: number): InStatement => ({
      sql: "UPDATE _islet_webhooks SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ? AND enabled = 1",
      args: [reason, now, id],
    }),
  },
  {
    kind: "api_account",
    find: "SELECT name AS id FROM _islet_api_accounts WHERE disabled_at IS NULL AND created_by IN",
    disable: (name: string, reason: string, now: number): InStatement => ({
      sql: "UPDATE _islet_api_accounts SET disabled_at = ?, disabled_reason = ?, updated_at = ? WHERE name = ? AND disabled_at IS NULL",
      args: [now, reason, now, name],
    }),
  },
] as const;

/** Creators looked up per statement (SQLite binds at most 32,766 parameters; keep it small). */
const CHUNK = 100;

const ACTIONS = { webhook: "webhook.disable", api_account: "account.disable" } as const;

/** Thrown inside the transaction when the arrangement had already stopped: nothing to record. */
class AlreadyStopped extends Error {}

/**
 * One arrangement stops: disabled with its reason, audited in the same transaction — once, even
 * when several requests notice at the same moment (the one whose update changed nothing rolls back).
 */
export async function disableArrangement(
  ctx: ServiceContext,
  access: WorkspaceAccess,
  kind: (typeof ARRANGEMENTS)[number]["kind"],
  id: string,
  reason: string,
): Promise<void> {
  const arrangement = ARRANGEMENTS.find((a) => a.kind === kind);
  if (!arrangement) return;
  try {
    await commitWithAudit(
      ctx,
      await access.db(),
      async (tx) => {
        const changed = await tx.execute(arrangement.disable(id, reason, Date.now()));
        if (changed.rowsAffected === 0) throw new AlreadyStopped();
        return [];
      },
      [{ action: ACTIONS[kind], targetType: kind, targetId: id, details: { reason } }],
    );
  } catch (error) {
    if (!(error instanceof AlreadyStopped)) throw error;
  }
}

/**
 * Stops every webhook endpoint and API account in a workspace that one of `creators` (user ids,
 * key ids) set up: its creator was removed, demoted, taken over, deleted or revoked (architecture §3).
 * Each is disabled with the reason and audited; admins see it, and may set it up again as
 * themselves. Called after the change that ended the authority: a failure here is logged, never
 * thrown, because every delivery and call checks its creator again before it acts.
 */
export async function endArrangementsOf(
  ctx: ServiceContext,
  access: WorkspaceAccess,
  creators: readonly string[],
  reason: string,
): Promise<number> {
  if (creators.length === 0) return 0;
  let ended = 0;
  try {
    const db = await access.db();
    for (const arrangement of ARRANGEMENTS) {
      for (let start = 0; start < creators.length; start += CHUNK) {
        const some = creators.slice(start, start + CHUNK);
        const found = await db.execute({
          sql: `${arrangement.find} (${some.map(() => "?").join(", ")})`,
          args: [...some],
        });
        for (const row of found.rows) {
          await disableArrangement(ctx, access, arrangement.kind, String(row.id), reason);
          ended++;
        }
      }
    }
  } catch (error) {
    ctx.logger.error("could not disable the arrangements of a principal whose authority ended", {
      workspaceId: access.workspace.id,
      error: error instanceof Error ? error.message : String(error),
    });
  }
  return ended;
}
