import { ErrorEnvelope, json, jsonBody, named, operation, router, securityOf } from "../../http/openapi";
import { workspaceParam } from "../../http/params";
import {
  executeSql,
  executeSqlBody,
  MAX_SQL_ROWS,
  SQL_NEEDS,
  SQL_TIME_BUDGET_MS,
  SqlResult,
} from "../../services/sql";

/** POST /v1/workspaces/:workspaceId/sql — admin SQL, read-only unless `write: true`, audited. */
export const sqlRoutes = router().openapi(
  operation({
    operationId: "executeSql",
    method: "post",
    path: "/",
    tags: ["SQL"],
    security: securityOf(SQL_NEEDS.run),
    summary: "Run one admin SQL statement (read-only unless write: true; audited)",
    description: [
      "Errors: a statement SQLite cannot parse is 400 `sql_syntax` (SQLite's own words in the message); a write sent without `write: true` is 403 `forbidden`; any other failure (no such table, a constraint) is 400 `invalid_request`.",
      `Budget: the statement must finish within ${SQL_TIME_BUDGET_MS / 1000} s, else 422 \`statement_timeout\` (islet stops waiting; the local database interrupts it). A runaway query (an endless recursive CTE) ends there and holds up no other request.`,
      `Rows: the answer carries at most ${MAX_SQL_ROWS.toLocaleString("en-US")} rows, the first ones, with \`truncated: true\` when there were more; a result over 10 MB is refused (400). Use LIMIT/OFFSET or the tables API to page.`,
    ].join("\n\n"),
    request: {
      params: workspaceParam,
      body: jsonBody(executeSqlBody, true, {
        sql: "SELECT id, title FROM notes ORDER BY id DESC LIMIT ?",
        args: [10],
      }),
    },
    errors: [507],
    responses: {
      200: json(named(SqlResult, "SqlResult"), "The statement's result"),
      422: json(
        ErrorEnvelope,
        "The statement ran past admin SQL's time budget (`statement_timeout`), or a reused Idempotency-Key came with another body (`idempotency_mismatch`)",
      ),
    },
  }),
  async (c) => {
    const input = { ...c.req.valid("param"), ...c.req.valid("json") };
    return c.json(await executeSql({ ctx: c.var.ctx, input }), 200);
  },
);
