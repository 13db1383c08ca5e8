import { z } from "zod";
import { authorizeWorkspace } from "../core/access";
import { parseInput, type ServiceArgs } from "../core/context";
import { workspaceScoped } from "../core/schemas";
import { AUDIT_READ } from "./query";

const DAY_MS = 86_400_000;
export const ACTIVITY_DAYS_DEFAULT = 14;
export const ACTIVITY_DAYS_MAX = 90;

export const auditActivityQuery = z.object({
  days: z.coerce.number().int().min(1).max(ACTIVITY_DAYS_MAX).optional(),
});
export const auditActivityInput = workspaceScoped.extend({
  days: z.number().int().min(1).max(ACTIVITY_DAYS_MAX).optional(),
});

export const AuditActivity = z.object({
  /** One bucket per UTC day, oldest first, today last; `counts` by action (absent = 0). */
  days: z.array(z.object({ start: z.number().int(), counts: z.record(z.string(), z.number().int()) })),
  /** Every action in the span with its total, most frequent first. */
  actions: z.array(z.object({ action: z.string(), total: z.number().int() })),
});
export type AuditActivity = z.infer<typeof AuditActivity>;

/**
 * The audit log as counts per UTC day and action over the last `days` days (the dashboard's
 * chart): one grouped query over the `ts` index, bounded by the span and islet's own action names.
 */
export async function auditActivity({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; days?: number }>): Promise<AuditActivity> {
  const input = parseInput(auditActivityInput, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, AUDIT_READ);
  const span = input.days ?? ACTIVITY_DAYS_DEFAULT;
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  const since = today - (span - 1) * DAY_MS;
  const db = await access.db();
  const result = await db.execute({
    sql: `SELECT (ts / ${DAY_MS}) * ${DAY_MS} AS day, action, COUNT(*) AS n
          FROM _islet_audit_log WHERE ts >= ? GROUP BY day, action LIMIT 10000`,
    args: [since],
  });
  const days = Array.from({ length: span }, (_, i) => ({
    start: since + i * DAY_MS,
    counts: {} as Record<string, number>,
  }));
  const totals = new Map<string, number>();
  for (const row of result.rows) {
    const day = Number(row.day);
    const action = String(row.action);
    const n = Number(row.n);
    const bucket = days[Math.round((day - since) / DAY_MS)];
    // A clock ahead of this Worker's leaves events "tomorrow": they are not today's.
    if (!bucket) continue;
    bucket.counts[action] = (bucket.counts[action] ?? 0) + n;
    totals.set(action, (totals.get(action) ?? 0) + n);
  }
  const actions = [...totals]
    .map(([action, total]) => ({ action, total }))
    .sort((a, b) => b.total - a.total || a.action.localeCompare(b.action));
  return { days, actions };
}
