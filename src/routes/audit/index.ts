import { Hono } from "hono";
import { z } from "zod";
import { validate } from "../../lib/validate";
import { EXPORT_FORMATS, exportAuditLog, listAuditEvents, verifyAuditChain } from "../../services/audit";
import { AUDIT_PAGE_MAX } from "../../services/audit/query";
import type { AppEnv } from "../../types";
import { workspaceIdOf } from "../workspaces/param";

/** Epoch milliseconds or an ISO 8601 time. */
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
  /** `key.revoke`, or `key.*` for every action of an entity. */
  action: z
    .string()
    .max(100)
    .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?$/, "must be entity.verb or entity.*")
    .optional(),
  actor: z.string().min(1).max(300).optional(),
  from: instant.optional(),
  to: instant.optional(),
});
const listQuery = filterQuery.extend({
  cursor: z
    .string()
    .regex(/^\d{1,15}$/, "must be a cursor from a previous page")
    .transform(Number)
    .optional(),
  limit: z.coerce.number().int().min(1).max(AUDIT_PAGE_MAX).optional(),
});
const exportQuery = filterQuery.extend({ format: z.enum(EXPORT_FORMATS).default("ndjson") });

/** A workspace's audit log (DESIGN §9), under /v1/workspaces/:workspaceId/audit. Admin, `audit:read`. */
export const auditRoutes = new Hono<AppEnv>()
  .get("/", validate("query", listQuery), async (c) => {
    const input = { ...c.req.valid("query"), workspaceId: workspaceIdOf(c) };
    return c.json(await listAuditEvents({ ctx: c.var.ctx, input }));
  })
  .get("/verify", async (c) =>
    c.json(await verifyAuditChain({ ctx: c.var.ctx, input: { workspaceId: workspaceIdOf(c) } })),
  )
  .get("/export", validate("query", exportQuery), async (c) => {
    const input = { ...c.req.valid("query"), workspaceId: workspaceIdOf(c) };
    const exported = await exportAuditLog({ ctx: c.var.ctx, input });
    return c.body(exported.body, 200, {
      "Content-Type": exported.contentType,
      "Content-Disposition": `attachment; filename="${exported.filename}"`,
      "Cache-Control": "no-store",
    });
  });
