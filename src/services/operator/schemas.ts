import { z } from "zod";
import { PLAN_IDS, type PlanId } from "../../lib/plans";
import { idOf } from "../core/schemas";

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

export const gcBody = z.strictObject({ dryRun: z.boolean().optional() });
export const restoreBody = z.strictObject({ backupId: z.string().regex(/^bak_[0-9a-z]{26}$/), reason });
export const deletionParam = z.object({ userId: idOf("user", "a user id") });

export const TenantSummary = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  region: z.string(),
  plan: z.string(),
  status: z.string(),
  dbName: z.string(),
  createdAt: z.number().int(),
});
export const Backup = z.object({
  id: z.string(),
  workspaceId: z.string(),
  dbName: z.string(),
  kind: z.enum(["snapshot", "pitr"]),
  reason: z.string(),
  createdAt: z.string(),
  /** Until when the provider can restore it (its point-in-time window); null for a snapshot. */
  restorableUntil: z.string().nullable(),
});
export const TenantDetailView = z.object({
  workspace: TenantSummary.extend({
    dbUrl: z.string().nullable(),
    createdBy: z.string().nullable(),
    updatedAt: z.number().int(),
  }),
  members: z.array(z.object({ userId: z.string(), email: z.string(), role: z.string() })),
  liveKeys: z.number().int(),
  backups: z.array(Backup),
});
const gcOutcome = z.enum(["destroyed", "failed", "would destroy"]);
export const GcReportView = z.object({
  abandoned: z.array(
    z.object({
      workspaceId: z.string(),
      dbName: z.string(),
      outcome: gcOutcome,
      error: z.string().optional(),
    }),
  ),
  orphans: z.array(z.object({ dbName: z.string(), outcome: gcOutcome, error: z.string().optional() })),
});
export const RestoreView = z.object({
  workspaceId: z.string(),
  backup: Backup,
  safetyBackup: Backup,
  previousDbName: z.string(),
  dbName: z.string(),
});
export const DeletionStatus = z.object({
  userId: z.string(),
  requestedAt: z.number().int(),
  completedAt: z.number().int().nullable(),
  attempts: z.number().int(),
  lastError: z.string().nullable(),
  report: z.record(z.string(), z.unknown()),
});
