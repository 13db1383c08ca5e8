import { executeSql, executeSqlBody, SqlResult } from "../../services/sql";
import { json, jsonBody, named, operation, router, SECURITY } from "../openapi";
import { workspaceParam } from "../workspaces/param";

/** POST /v1/workspaces/:workspaceId/sql — admin SQL, read-only unless `write: true`, audited. */
export const sqlRoutes = router().openapi(
  operation({
    method: "post",
    path: "/",
    tags: ["SQL"],
    security: SECURITY.user,
    summary: "Run one admin SQL statement (read-only unless write: true; audited)",
    request: { params: workspaceParam, body: jsonBody(executeSqlBody) },
    responses: { 200: json(named(SqlResult, "SqlResult"), "The statement's result") },
  }),
  async (c) => {
    const input = { ...c.req.valid("param"), ...c.req.valid("json") };
    return c.json(await executeSql({ ctx: c.var.ctx, input }), 200);
  },
);
