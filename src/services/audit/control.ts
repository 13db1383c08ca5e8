import { currentKeyedWrite, findRecord, TENANT_TABLE } from "../../db/idempotency";
import { ApiError } from "../../lib/errors";
import type { WorkspaceAccess } from "../core/access";
import type { ServiceContext } from "../core/context";
import { recordSecurityEvent } from "../security-log/record";
import { type AuditEvent, recordAudit } from ".";

/**
 * A control-plane change about a workspace and its audit event in the tenant's log. The two live
 * in different databases, so they cannot share a batch: the control write goes first, then the
 * event; if the event cannot be written the change is undone and the caller gets 503 — there is
 * no change without its audit event (architecture §9).
 */
export async function auditedControlChange<T>(
  ctx: ServiceContext,
  access: WorkspaceAccess,
  change: {
    apply: () => Promise<T>;
    undo: (applied: T) => Promise<unknown>;
    event: (applied: T) => AuditEvent;
  },
): Promise<T> {
  const applied = await change.apply();
  try {
    // The event is the change's point of no return: an Idempotency-Key's record commits with it.
    await recordAudit(ctx, await access.db(), change.event(applied), { change: true });
  } catch (error) {
    if (await repeatedChange(access)) {
      // Another request with the same key and input committed this very change first: undoing
      // this one would revert that one. Nothing else is left to undo (the change was the same).
      throw error;
    }
    ctx.logger.error("audit write failed; undoing the change", {
      workspaceId: access.workspace.id,
      error: error instanceof Error ? error.message : String(error),
    });
    try {
      await change.undo(applied);
    } catch (undoError) {
      ctx.logger.error("undo after failed audit write failed", {
        workspaceId: access.workspace.id,
        error: undoError instanceof Error ? undoError.message : String(undoError),
      });
    }
    throw new ApiError(
      "unavailable",
      "The change could not be recorded in the audit log; nothing was changed",
    );
  }
  return applied;
}

/** The keyed write collided with an earlier request's record of the same input. */
async function repeatedChange(access: WorkspaceAccess): Promise<boolean> {
  const keyed = currentKeyedWrite();
  if (!keyed?.collided) return false;
  const record = await findRecord(await access.db(), TENANT_TABLE, keyed.id).catch(() => undefined);
  return record?.fingerprint === keyed.fingerprint;
}

/**
 * A change that tightens security (revoking a credential) is never blocked or undone by an
 * unreachable tenant log — that would keep alive what the owner wants dead. The change goes
 * first; its event goes to the tenant's log, or failing that to the platform security log.
 */
export async function auditedRevocation<T>(
  ctx: ServiceContext,
  access: WorkspaceAccess,
  apply: () => Promise<T>,
  event: (applied: T) => AuditEvent,
): Promise<T> {
  const applied = await apply();
  const audit = event(applied);
  try {
    await recordAudit(ctx, await access.db(), audit, { change: true });
  } catch (error) {
    ctx.logger.error("tenant audit write failed for a revocation; using the security log", {
      workspaceId: access.workspace.id,
      error: error instanceof Error ? error.message : String(error),
    });
    await recordSecurityEvent(ctx, {
      action: audit.action,
      details: { workspaceId: access.workspace.id, targetId: audit.targetId, ...audit.details },
    });
  }
  return applied;
}
