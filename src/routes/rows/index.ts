import { z } from "@hono/zod-openapi";
import { json, jsonBody, named, noContent, operation, router, securityOf } from "../../http/openapi";
import { workspaceParam } from "../../http/params";
import {
  deleteRow,
  getRow,
  insertRows,
  insertRowsBody,
  listRows,
  listRowsQuery,
  ROWS_NEEDS,
  Row,
  RowsPage,
  rowId,
  rowValues,
  toListQuery,
  updateRow,
  WrittenRow,
  WrittenRows,
} from "../../services/rows";
import { identifier } from "../../services/tables";

const tableParam = workspaceParam.extend({ table: identifier });
const rowParam = tableParam.extend({ id: rowId });
const tags = ["Rows"];

/** Rows of a workspace table (architecture §5), under /v1/workspaces/:workspaceId/tables/:table/rows. */
export const rowsRoutes = router()
  .openapi(
    operation({
      operationId: "insertRows",
      method: "post",
      path: "/",
      tags,
      security: securityOf(ROWS_NEEDS.write),
      summary: "Insert one row, or up to 1,000 as { rows: [...] }, atomically",
      request: { params: tableParam, body: jsonBody(insertRowsBody) },
      responses: { 201: json(named(WrittenRows, "WrittenRows"), "The stored rows") },
      errors: [409, 422, 507],
    }),
    async (c) => {
      const body = c.req.valid("json");
      const rows = Array.isArray(body.rows) ? (body.rows as Record<string, unknown>[]) : [body];
      const result = await insertRows({ ctx: c.var.ctx, input: { ...c.req.valid("param"), rows } });
      return c.json(result, 201);
    },
  )
  .openapi(
    operation({
      operationId: "listRows",
      method: "get",
      path: "/",
      tags,
      security: securityOf(ROWS_NEEDS.read),
      summary: "List rows: filter[col][op], sort, fields, cursor, limit",
      request: { params: tableParam, query: listRowsQuery as unknown as z.ZodObject },
      responses: { 200: json(named(RowsPage, "RowsPage"), "A page of rows") },
    }),
    async (c) => {
      const query = toListQuery(c.req.valid("query") as z.output<typeof listRowsQuery>);
      const result = await listRows({ ctx: c.var.ctx, input: { ...c.req.valid("param"), query } });
      return c.json(result, 200);
    },
  )
  .openapi(
    operation({
      operationId: "getRow",
      method: "get",
      path: "/{id}",
      tags,
      security: securityOf(ROWS_NEEDS.read),
      summary: "Get a row",
      request: { params: rowParam },
      responses: { 200: json(z.object({ row: Row }), "The row") },
    }),
    async (c) => c.json({ row: await getRow({ ctx: c.var.ctx, input: c.req.valid("param") }) }, 200),
  )
  .openapi(
    operation({
      operationId: "updateRow",
      method: "patch",
      path: "/{id}",
      tags,
      security: securityOf(ROWS_NEEDS.write),
      summary: "Update named columns of a row",
      request: { params: rowParam, body: jsonBody(rowValues) },
      responses: { 200: json(named(WrittenRow, "WrittenRow"), "The updated row") },
      errors: [409, 422, 507],
    }),
    async (c) => {
      const input = { ...c.req.valid("param"), values: c.req.valid("json") };
      return c.json(await updateRow({ ctx: c.var.ctx, input }), 200);
    },
  )
  .openapi(
    operation({
      operationId: "deleteRow",
      method: "delete",
      path: "/{id}",
      tags,
      security: securityOf(ROWS_NEEDS.write),
      summary: "Delete a row",
      request: { params: rowParam },
      responses: { 204: noContent("Deleted") },
    }),
    async (c) => {
      await deleteRow({ ctx: c.var.ctx, input: c.req.valid("param") });
      return c.body(null, 204);
    },
  );
