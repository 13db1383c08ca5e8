import { z } from "zod";
import { epochMs, workspaceScoped } from "../core/schemas";

export { workspaceScoped } from "../core/schemas";

export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 500;
export const EXPORT_FORMATS = ["ndjson", "csv"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** `key.revoke`, or `key.*` for every action of an entity. */
const action = z
  .string()
  .max(100)
  .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?$/, "must be entity.verb or entity.*");
const actor = z.string().min(1).max(300);

export const auditFilter = workspaceScoped.extend({
  action: action
    .optional()
    .describe("One action (`key.revoke`, `row.insert`) or every action of an entity (`key.*`)"),
  /** The actor's id: a user id, key id, operator id, `issuer:subject` of an end user. */
  actor: actor
    .optional()
    .describe(
      "Who acted: a user id (usr_…), key id (key_…), operator id, or `issuer:subject` of an end user",
    ),
  from: epochMs
    .nonnegative()
    .optional()
    .describe("Events at or after this instant, in epoch milliseconds (e.g. 1767225600000)"),
  to: epochMs.nonnegative().optional().describe("Events before this instant, in epoch milliseconds"),
});
export const listAuditInput = auditFilter.extend({
  cursor: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe("The previous page's `nextCursor`, to read older events"),
  limit: z
    .number()
    .int()
    .min(1)
    .max(AUDIT_PAGE_MAX)
    .optional()
    .describe(`Events per page, 1–${AUDIT_PAGE_MAX}; ${AUDIT_PAGE_DEFAULT} by default`),
});
export const exportAuditInput = auditFilter.extend({ format: z.enum(EXPORT_FORMATS) });

/** Epoch milliseconds or an ISO 8601 time, as a query string carries it. */
const instant = z
  .string()
  .max(40)
  .transform((value, ctx) => {
    const ms = /^\d{1,15}$/.test(value) ? Number(value) : Date.parse(value);
    if (Number.isFinite(ms)) return ms;
    ctx.addIssue({ code: "custom", message: "must be epoch milliseconds or an ISO 8601 time" });
    return z.NEVER;
  });
const filterQuery = z.object({
  action: action.optional(),
  actor: actor.optional(),
  from: instant.optional(),
  to: instant.optional(),
});
export const listAuditQuery = filterQuery.extend({
  cursor: z
    .string()
    .regex(/^\d{1,15}$/, "must be a cursor from a previous page")
    .transform(Number)
    .optional(),
  limit: z.coerce.number().int().min(1).max(AUDIT_PAGE_MAX).optional(),
});
export const exportAuditQuery = filterQuery.extend({ format: z.enum(EXPORT_FORMATS).default("ndjson") });

export const AuditEntry = z.object({
  seq: z.number().int(),
  id: z.string(),
  ts: epochMs,
  actor: z.object({ type: z.string(), id: z.string().nullable() }),
  action: z.string(),
  target: z.object({ type: z.string().nullable(), id: z.string().nullable() }),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  requestId: z.string().nullable(),
  details: z.unknown(),
  prevHash: z.string(),
  hash: z.string(),
});
export const AuditPage = z.object({ events: z.array(AuditEntry), nextCursor: z.string().nullable() });
export const ChainReport = z.object({
  ok: z.boolean(),
  checked: z.number().int(),
  /** The newest verified row: keep it elsewhere to later detect truncation or a rewritten tail. */
  head: z.object({ seq: z.number().int(), hash: z.string() }).nullable(),
  firstBroken: z.object({ seq: z.number().int(), id: z.string(), reason: z.string() }).optional(),
});
