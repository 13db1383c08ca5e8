import { and, eq, isNull } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { issuers, workspaces } from "../../db/control/schema";
import { auditedRevocation } from "../audit/control";
import { type WorkspaceAccess, workspaceAccess } from "../core/access";
import type { ServiceContext } from "../core/context";

/** A workspace's access for islet's own cleanup, or null when the workspace is gone. */
export async function accessTo(ctx: ServiceContext, workspaceId: string): Promise<WorkspaceAccess | null> {
  const [workspace] = await controlDb(ctx.config)
    .select()
    .from(workspaces)
    .where(eq(workspaces.id, workspaceId));
  return workspace?.status === "active" ? workspaceAccess(ctx, workspace, null) : null;
}

/**
 * Disables the issuers a user registered (in one workspace, or everywhere), audited in each
 * workspace's log. Their tokens are refused from the next request: verification reads the row.
 */
export async function disableIssuersCreatedBy(
  ctx: ServiceContext,
  userId: string,
  reason: string,
  workspaceId?: string,
): Promise<number> {
  const db = controlDb(ctx.config);
  const live = await db
    .select()
    .from(issuers)
    .where(
      and(
        eq(issuers.createdBy, userId),
        isNull(issuers.disabledAt),
        workspaceId ? eq(issuers.workspaceId, workspaceId) : undefined,
      ),
    );
  const now = Date.now();
  for (const issuer of live) {
    const disable = () =>
      db.update(issuers).set({ disabledAt: now, disabledReason: reason }).where(eq(issuers.id, issuer.id));
    const access = await accessTo(ctx, issuer.workspaceId);
    if (!access) {
      await disable();
      continue;
    }
    await auditedRevocation(ctx, access, disable, () => ({
      action: "issuer.disable",
      targetType: "issuer",
      targetId: issuer.id,
      details: { name: issuer.name, issuer: issuer.issuer, reason },
    }));
  }
  return live.length;
}
