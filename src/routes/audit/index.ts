import { z } from "@hono/zod-openapi";
import { json, named, operation, router, securityOf } from "../../http/openapi";
import { workspaceParam } from "../../http/params";
import {
  AUDIT_READ,
  AuditActivity,
  AuditPage,
  auditActivity,
  auditActivityQuery,
  ChainReport,
  exportAuditLog,
  exportAuditQuery,
  listAuditEvents,
  listAuditQuery,
  verifyAuditChain,
} from "../../services/audit";

const tags = ["Audit"];
const security = securityOf(AUDIT_READ);

/** A workspace's audit log (architecture §9), under /v1/workspaces/:workspaceId/audit. Admin, `audit:read`. */
export const auditRoutes = router()
  .openapi(
    operation({
      operationId: "listAuditEvents",
      method: "get",
      path: "/",
      tags,
      security,
      summary: "Query the audit log, newest first",
      request: { params: workspaceParam, query: listAuditQuery },
      responses: { 200: json(named(AuditPage, "AuditPage"), "A page of events") },
    }),
    async (c) => {
      const input = { ...c.req.valid("query"), ...c.req.valid("param") };
      return c.json(await listAuditEvents({ ctx: c.var.ctx, input }), 200);
    },
  )
  .openapi(
    operation({
      operationId: "getAuditActivity",
      method: "get",
      path: "/activity",
      tags,
      security,
      summary: "Audit events per UTC day and action, over the last days (14 unless ?days=, at most 90)",
      request: { params: workspaceParam, query: auditActivityQuery },
      responses: { 200: json(named(AuditActivity, "AuditActivity"), "Counts per day and action") },
    }),
    async (c) => {
      const input = { ...c.req.valid("query"), ...c.req.valid("param") };
      return c.json(await auditActivity({ ctx: c.var.ctx, input }), 200);
    },
  )
  .openapi(
    operation({
      operationId: "verifyAuditChain",
      method: "get",
      path: "/verify",
      tags,
      security,
      summary: "Verify the audit log's hash chain",
      request: { params: workspaceParam },
      responses: { 200: json(named(ChainReport, "ChainReport"), "The chain report") },
    }),
    async (c) => c.json(await verifyAuditChain({ ctx: c.var.ctx, input: c.req.valid("param") }), 200),
  )
  .openapi(
    operation({
      operationId: "exportAuditLog",
      method: "get",
      path: "/export",
      tags,
      security,
      summary: "Export the audit log as NDJSON or CSV (Pro and above), streamed",
      request: { params: workspaceParam, query: exportAuditQuery },
      responses: {
        200: {
          description: "The events, oldest first",
          content: {
            "application/x-ndjson": { schema: z.string() },
            "text/csv": { schema: z.string() },
          },
        },
      },
      errors: [402],
    }),
    async (c) => {
      const input = { ...c.req.valid("query"), ...c.req.valid("param") };
      const exported = await exportAuditLog({ ctx: c.var.ctx, input });
      return c.body(exported.body, 200, {
        "Content-Type": exported.contentType,
        "Content-Disposition": `attachment; filename="${exported.filename}"`,
        "Cache-Control": "no-store",
      });
    },
  );
