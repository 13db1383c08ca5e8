import { ApiError } from "../../lib/errors";
import { LOCAL_ONLY_PLANS, type PlanId } from "../../lib/plans";
import { authorizeWorkspace } from "../core/access";
import { parseInput, type ServiceArgs } from "../core/context";
import { recordSecurityEvent } from "../security-log";
import { type WorkspaceView, workspaceView } from "../workspaces/create";
import { updateWorkspaceField } from "../workspaces/update";
import { requireOperator } from "./credential";
import { setPlanInput } from "./schemas";

/**
 * Sets a workspace's plan (architecture §4: plans change only by operator action — a billing system
 * calls this, never an owner). Audited in the workspace's own log and in the platform log; its
 * limits apply from the next request.
 */
export async function setWorkspacePlan({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; plan: PlanId; reason: string }>): Promise<WorkspaceView> {
  const input = parseInput(setPlanInput, raw);
  const operatorId = requireOperator(ctx);
  if (ctx.config.ENVIRONMENT === "production" && LOCAL_ONLY_PLANS.includes(input.plan))
    throw new ApiError("invalid_request", `The ${input.plan} plan exists only outside production`, {
      details: { field: "plan" },
    });
  // Trimmed and at least MIN_REASON_LENGTH characters: the input schema says so.
  const { reason } = input;
  const access = await authorizeWorkspace(ctx, input.workspaceId, { role: "owner", scope: "keys:manage" });
  const details = { operatorId, reason };
  const after = await updateWorkspaceField(ctx, access, {
    field: "plan",
    value: input.plan,
    action: "workspace.plan_change",
    details,
  });
  if (!after) return workspaceView(access.workspace, null);
  await recordSecurityEvent(ctx, {
    action: "workspace.plan_change",
    details: { workspaceId: after.id, from: access.workspace.plan, to: input.plan, ...details },
  });
  return workspaceView(after, null);
}
