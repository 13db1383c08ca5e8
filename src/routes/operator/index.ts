import { z } from "@hono/zod-openapi";
import { json, jsonBody, named, operation, router, SECURITY } from "../../http/openapi";
import { listBackups, restoreBackup, takeBackup } from "../../services/backups";
import { deletionStatus } from "../../services/lifecycle";
import {
  Backup,
  BreakGlassRead,
  collectGarbage,
  DeletionStatus,
  deletionParam,
  GcReportView,
  gcBody,
  listTenants,
  operatorWorkspaceParam,
  RestoreView,
  readRowsBody,
  readTenantRows,
  restoreBody,
  setPlanBody,
  setWorkspacePlan,
  showTenant,
  TenantDetailView,
  TenantSummary,
} from "../../services/operator";
import { Workspace } from "../../services/workspaces";

const tags = ["Operator"];
const security = SECURITY.operator;

/**
 * Operator (break-glass) routes under /v1/operator. Mounted ahead of the app's bearer
 * authentication, behind the gatekeeper and the operator authentication (src/app.ts): only
 * `Authorization: Operator <token>` is accepted here.
 */
export const operatorRoutes = router();
operatorRoutes
  .openapi(
    operation({
      operationId: "operatorReadRows",
      method: "post",
      path: "/workspaces/{workspaceId}/rows/read",
      // A read (POST for its reason): its answer is a tenant's rows, which no record may copy.
      idempotency: false,
      tags,
      security,
      summary: "Break-glass read of a tenant's rows: reason required, owners alerted, audited",
      request: { params: operatorWorkspaceParam, body: jsonBody(readRowsBody) },
      responses: { 200: json(named(BreakGlassRead, "BreakGlassRead"), "The rows read") },
      errors: [502],
    }),
    async (c) => {
      const input = { ...c.req.valid("param"), ...c.req.valid("json") };
      c.header("Cache-Control", "no-store");
      return c.json(await readTenantRows({ ctx: c.var.ctx, input }), 200);
    },
  )
  .openapi(
    operation({
      operationId: "operatorSetPlan",
      method: "put",
      path: "/workspaces/{workspaceId}/plan",
      tags,
      security,
      summary: "Change a workspace's plan (operators only; audited in the workspace)",
      request: { params: operatorWorkspaceParam, body: jsonBody(setPlanBody) },
      responses: { 200: json(z.object({ workspace: Workspace }), "The workspace") },
    }),
    async (c) => {
      const input = { ...c.req.valid("param"), ...c.req.valid("json") };
      return c.json({ workspace: await setWorkspacePlan({ ctx: c.var.ctx, input }) }, 200);
    },
  )
  .openapi(
    operation({
      operationId: "operatorListTenants",
      method: "get",
      path: "/tenants",
      tags,
      security,
      summary: "Every workspace with region, plan, status and database name",
      responses: {
        200: json(z.object({ tenants: z.array(named(TenantSummary, "TenantSummary")) }), "The tenants"),
      },
    }),
    async (c) => {
      const rows = await listTenants({ ctx: c.var.ctx });
      const tenants = rows.map(({ id, slug, name, region, plan, status, dbName, createdAt }) => ({
        id,
        slug,
        name,
        region,
        plan,
        status,
        dbName,
        createdAt,
      }));
      return c.json({ tenants }, 200);
    },
  )
  .openapi(
    operation({
      operationId: "operatorGetTenant",
      method: "get",
      path: "/tenants/{workspaceId}",
      tags,
      security,
      summary: "One workspace: settings, members, live keys, backups (never its database token)",
      request: { params: operatorWorkspaceParam },
      responses: { 200: json(named(TenantDetailView, "TenantDetail"), "The workspace") },
    }),
    async (c) => c.json(await showTenant({ ctx: c.var.ctx, input: c.req.valid("param") }), 200),
  )
  .openapi(
    operation({
      operationId: "operatorCollectTenants",
      method: "post",
      path: "/tenants/gc",
      tags,
      security,
      summary: "Collect abandoned provisionings and orphan databases (or report them: dryRun)",
      request: { body: jsonBody(gcBody) },
      responses: { 200: json(named(GcReportView, "GcReport"), "What was collected") },
    }),
    async (c) => c.json(await collectGarbage({ ctx: c.var.ctx, input: c.req.valid("json") }), 200),
  )
  .openapi(
    operation({
      operationId: "operatorListBackups",
      method: "get",
      path: "/tenants/{workspaceId}/backups",
      tags,
      security,
      summary: "A workspace's backups, newest first (10 are kept)",
      request: { params: operatorWorkspaceParam },
      responses: { 200: json(z.object({ backups: z.array(named(Backup, "Backup")) }), "The backups") },
    }),
    async (c) => c.json({ backups: await listBackups({ ctx: c.var.ctx, input: c.req.valid("param") }) }, 200),
  )
  .openapi(
    operation({
      operationId: "operatorCreateBackup",
      method: "post",
      path: "/tenants/{workspaceId}/backups",
      tags,
      security,
      summary: "Record a backup point of a workspace now",
      request: { params: operatorWorkspaceParam },
      responses: { 201: json(z.object({ backup: Backup }), "The backup") },
      errors: [502],
    }),
    async (c) => c.json({ backup: await takeBackup({ ctx: c.var.ctx, input: c.req.valid("param") }) }, 201),
  )
  .openapi(
    operation({
      operationId: "operatorRestoreTenant",
      method: "post",
      path: "/tenants/{workspaceId}/restore",
      tags,
      security,
      summary:
        "Restore a workspace from a backup into a new database, swapped in (audited; deleted workspaces refused)",
      request: { params: operatorWorkspaceParam, body: jsonBody(restoreBody) },
      responses: { 200: json(named(RestoreView, "Restore"), "The restore") },
      // 410: a point-in-time backup outside the provider's window.
      errors: [410, 502],
    }),
    async (c) => {
      const input = { ...c.req.valid("param"), ...c.req.valid("json") };
      return c.json(await restoreBackup({ ctx: c.var.ctx, input }), 200);
    },
  )
  .openapi(
    operation({
      operationId: "operatorGetDeletion",
      method: "get",
      path: "/deletions/{userId}",
      tags,
      security,
      summary: "An account deletion's progress (resumed by the scheduled job until complete)",
      request: { params: deletionParam },
      responses: { 200: json(named(DeletionStatus, "DeletionStatus"), "The deletion") },
    }),
    async (c) => c.json(await deletionStatus({ ctx: c.var.ctx, input: c.req.valid("param") }), 200),
  );
