import { z } from "zod";
import { PLAN_IDS, type PlanId } from "../../lib/plans";
import { idOf } from "../schemas";

export const BREAK_GLASS_DEFAULT_ROWS = 50;
export const BREAK_GLASS_MAX_ROWS = 500;
export const MIN_REASON_LENGTH = 10;

/** Why an operator acts: written to the platform log and the customer's own audit log. */
const reason = z.string().trim().min(MIN_REASON_LENGTH).max(1000);
export const operatorWorkspaceParam = z.object({ workspaceId: idOf("workspace", "a workspace id") });
export const setPlanBody = z.strictObject({ plan: z.enum(PLAN_IDS as [PlanId, ...PlanId[]]), reason });
export const setPlanInput = operatorWorkspaceParam.extend(setPlanBody.shape);
export const readRowsBody = z.strictObject({
  table: z.string().min(1).max(63),
  reason,
  limit: z.number().int().min(1).max(BREAK_GLASS_MAX_ROWS).optional(),
});
export const readRowsInput = operatorWorkspaceParam.extend(readRowsBody.shape);

export const BreakGlassRead = z.object({
  table: z.string(),
  columns: z.array(z.string()),
  rows: z.array(z.record(z.string(), z.unknown())),
  /** Owners emailed about this read before it happened. */
  ownersNotified: z.number().int(),
});
