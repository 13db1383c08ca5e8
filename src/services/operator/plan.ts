import { eq } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { workspaces } from "../../db/control/schema";
import { ApiError } from "../../lib/errors";
import type { PlanId } from "../../lib/plans";
import type { ServiceContext } from "../../types";
import { authorizeWorkspace } from "../access";
import { recordSecurityEvent } from "../security-log";
import { auditedControlChange } from "../workspaces/control-audit";
import { type WorkspaceView, workspaceView } from "../workspaces/create";
import { MIN_REASON_LENGTH } from "./break-glass";
import { requireOperator } from "./credential";

/**
 * Sets a workspace's plan (DESIGN §4: plans change only by operator action — a billing system
 * calls this, never an owner). Audited in the workspace's own log and in the platform log; its
 * limits apply from the next request.
 */
export async function setWorkspacePlan({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { workspaceId: string; plan: PlanId; reason: string };
}): Promise<WorkspaceView> {
  const operatorId = requireOperator(ctx);
  const reason = input.reason.trim();
  if (reason.length < MIN_REASON_LENGTH)
    throw new ApiError("invalid_request", `A reason of at least ${MIN_REASON_LENGTH} characters is required`);
  const access = await authorizeWorkspace(ctx, input.workspaceId, { role: "owner", scope: "keys:manage" });
  const before = access.workspace;
  if (before.plan === input.plan) return workspaceView(before, null);
  const db = controlDb(ctx.config);
  const set = async (plan: PlanId) => {
    const [row] = await db
      .update(workspaces)
      .set({ plan, updatedAt: Date.now() })
      .where(eq(workspaces.id, before.id))
      .returning();
    if (!row) throw new ApiError("not_found", "Workspace not found");
    return row;
  };
  const details = { from: before.plan, to: input.plan, operatorId, reason };
  const after = await auditedControlChange(ctx, access, {
    apply: () => set(input.plan),
    undo: () => set(before.plan),
    event: () => ({ action: "workspace.plan_change", targetType: "workspace", targetId: before.id, details }),
  });
  await recordSecurityEvent(ctx, {
    action: "workspace.plan_change",
    details: { workspaceId: before.id, ...details },
  });
  return workspaceView(after, null);
}
