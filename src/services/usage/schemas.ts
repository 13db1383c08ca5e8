import { z } from "zod";
import { ID_FORMATS } from "../../lib/ids";
import type { WorkspaceNeed } from "../core/access";
import { workspaceScoped } from "../core/schemas";

/** A workspace's usage: admins, or keys with `keys:manage` (it shows every key's traffic). */
export const USAGE_NEEDS = {
  read: { role: "admin", scope: "keys:manage" },
} as const satisfies Record<string, WorkspaceNeed>;

export const USAGE_PAGE_DEFAULT = 50;
export const USAGE_PAGE_MAX = 100;

export const usageQuery = z.object({
  cursor: z.string().regex(ID_FORMATS.key, "must be a key id from nextCursor").optional(),
  limit: z.coerce.number().int().min(1).max(USAGE_PAGE_MAX).optional(),
});
export const usageInput = workspaceScoped.extend({
  cursor: usageQuery.shape.cursor,
  limit: z.number().int().min(1).max(USAGE_PAGE_MAX).optional(),
});

export const WorkspaceUsage = z.object({
  month: z.string(),
  plan: z.string(),
  /** The plan's monthly request quota, per principal. */
  monthlyQuota: z.number().int(),
  perMinute: z.number().int(),
  /** Requests this month by the whole workspace (every member, key and end user). */
  workspaceUsed: z.number().int(),
  /** Requests this month by each API key on this page (keys are confined to the workspace). */
  keys: z.array(
    z.object({
      keyId: z.string(),
      name: z.string(),
      used: z.number().int(),
      monthlyCap: z.number().int().nullable(),
      revoked: z.boolean(),
    }),
  ),
  /** The sum over `keys` (this page). */
  keysTotal: z.number().int(),
  /** Pass as `cursor` for the next page of keys; null on the last page. */
  nextCursor: z.string().nullable(),
  /** The database measured now, against the plan's caps (writes past either get 507 `storage_limit`). */
  storage: z.object({
    bytes: z.number().int(),
    rows: z.number().int(),
    storageBytes: z.number().int(),
    maxRows: z.number().int(),
    /** `provider`: the provider's own figure (Turso); `pages`: page_count × page_size. */
    source: z.enum(["provider", "pages"]),
    measuredAt: z.number().int(),
  }),
});
export type WorkspaceUsage = z.infer<typeof WorkspaceUsage>;

export const TrafficBucket = z.object({
  /** Epoch ms the minute or UTC day starts. */
  start: z.number().int(),
  /** Requests admitted. */
  admitted: z.number().int(),
  /** Requests refused with 429. */
  refused: z.number().int(),
});

export const WorkspaceTraffic = z.object({
  /** Epoch ms the Gatekeeper answered. */
  at: z.number().int(),
  plan: z.string(),
  /** The workspace's sliding 60-second window (every principal together) against the plan. */
  perMinute: z.object({
    used: z.number().int(),
    limit: z.number().int(),
    /** Each member's, key's or end user's own limit, within the workspace's. */
    perPrincipal: z.number().int(),
  }),
  /** This calendar month (UTC) against the plan's monthly quota. */
  month: z.object({ used: z.number().int(), limit: z.number().int() }),
  /** The last hour, one bucket per minute, oldest first. */
  minutes: z.array(TrafficBucket),
  /** The last 30 UTC days, one bucket per day, oldest first. */
  days: z.array(TrafficBucket),
  refusedLastHour: z.number().int(),
  refusedLast30Days: z.number().int(),
});
export type WorkspaceTraffic = z.infer<typeof WorkspaceTraffic>;
