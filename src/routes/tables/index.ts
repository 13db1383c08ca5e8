import { z } from "@hono/zod-openapi";
import { json, jsonBody, named, noContent, operation, router, securityOf } from "../../http/openapi";
import { workspaceParam } from "../../http/params";
import { confirmationQuery } from "../../services/core/schemas";
import {
  AlteredTable,
  alterTable,
  createTable,
  createTableBody,
  dropTable,
  dropTableBody,
  getTable,
  identifier,
  listTables,
  TABLES_NEEDS,
  Table as TableSchema,
  tableChangesSchema,
} from "../../services/tables";

const Table = named(TableSchema, "Table");
const tableParam = workspaceParam.extend({ table: identifier });
const tags = ["Tables"];

/** Tables of a workspace's own database (architecture §5); their rows are routes/rows. */
export const tablesRoutes = router()
  .openapi(
    operation({
      operationId: "createTable",
      method: "post",
      path: "/",
      tags,
      security: securityOf(TABLES_NEEDS.write),
      summary: "Create a table",
      request: {
        params: workspaceParam,
        body: jsonBody(createTableBody, true, {
          name: "notes",
          columns: [
            { name: "title", type: "text", notNull: true },
            { name: "done", type: "boolean", default: false },
            { name: "shout", type: "formula", formula: "row.title.toUpperCase()" },
          ],
        }),
      },
      responses: { 201: json(z.object({ table: Table }), "The new table") },
      errors: [409],
    }),
    async (c) => {
      const input = { ...c.req.valid("param"), ...c.req.valid("json") };
      return c.json({ table: await createTable({ ctx: c.var.ctx, input }) }, 201);
    },
  )
  .openapi(
    operation({
      operationId: "listTables",
      method: "get",
      path: "/",
      tags,
      security: securityOf(TABLES_NEEDS.read),
      summary: "List tables",
      request: { params: workspaceParam },
      responses: { 200: json(z.object({ tables: z.array(Table) }), "Tables visible to the caller") },
    }),
    async (c) => c.json({ tables: await listTables({ ctx: c.var.ctx, input: c.req.valid("param") }) }, 200),
  )
  .openapi(
    operation({
      operationId: "getTable",
      method: "get",
      path: "/{table}",
      tags,
      security: securityOf(TABLES_NEEDS.read),
      summary: "Get a table's definition",
      request: { params: tableParam },
      responses: { 200: json(z.object({ table: Table }), "The table") },
    }),
    async (c) => c.json({ table: await getTable({ ctx: c.var.ctx, input: c.req.valid("param") }) }, 200),
  )
  .openapi(
    operation({
      operationId: "alterTable",
      method: "patch",
      path: "/{table}",
      tags,
      security: securityOf(TABLES_NEEDS.write),
      summary: "Alter a table: drop/rename/add columns, set formulas, indexes, atomically",
      request: {
        params: tableParam,
        body: jsonBody(tableChangesSchema, true, { addColumns: [{ name: "due", type: "timestamp" }] }),
      },
      responses: {
        200: json(named(AlteredTable.extend({ table: Table }), "AlteredTable"), "The new definition"),
      },
      errors: [409, 422],
    }),
    async (c) => {
      const result = await alterTable({
        ctx: c.var.ctx,
        input: { ...c.req.valid("param"), changes: c.req.valid("json") },
      });
      return c.json(result, 200);
    },
  )
  .openapi(
    operation({
      operationId: "dropTable",
      method: "delete",
      path: "/{table}",
      tags,
      security: securityOf(TABLES_NEEDS.write),
      summary: "Drop a table (confirm names it, in the body or ?confirm=)",
      request: {
        params: tableParam,
        query: confirmationQuery,
        body: jsonBody(dropTableBody, false, { confirm: "notes" }),
      },
      responses: { 204: noContent("Dropped") },
      errors: [409],
    }),
    async (c) => {
      // `confirm` may come in the body or, for clients that drop DELETE bodies, the query string.
      const confirm = c.req.valid("json").confirm ?? c.req.valid("query").confirm;
      await dropTable({ ctx: c.var.ctx, input: { ...c.req.valid("param"), confirm } });
      return c.body(null, 204);
    },
  );
