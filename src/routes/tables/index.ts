import { Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../../lib/errors";
import { validate } from "../../lib/validate";
import {
  deleteRow,
  FILTER_OPS,
  type Filter,
  getRow,
  insertRows,
  listRows,
  updateRow,
} from "../../services/rows";
import {
  alterTable,
  createTable,
  dropTable,
  getTable,
  listTables,
  tableChangesSchema,
} from "../../services/tables";
import { MAX_COLUMNS, MAX_INDEXES } from "../../services/tables/check";
import { columnSchema, identifier, indexSchema, userName } from "../../services/tables/definition";
import type { AppEnv } from "../../types";
import { workspaceIdOf } from "../workspaces/param";

const createBody = z.strictObject({
  name: userName,
  columns: z.array(columnSchema).min(1).max(MAX_COLUMNS),
  indexes: z.array(indexSchema).max(MAX_INDEXES).optional(),
});
const tableParam = z.object({ table: identifier });
const rowParam = z.object({
  table: identifier,
  id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
});
const rowObject = z.record(z.string(), z.unknown());
const insertBody = z.union([z.strictObject({ rows: z.array(rowObject).min(1).max(1000) }), rowObject]);
const dropBody = z.strictObject({ confirm: z.string().max(100).optional() }).optional();

function columnName(value: string): string {
  if (!identifier.safeParse(value).success) {
    throw new ApiError("invalid_request", `${JSON.stringify(value.slice(0, 64))} is not a column name`);
  }
  return value;
}

/**
 * `filter[col][op]=value` (ops: eq ne lt lte gt gte in like is_null; `in` takes a comma list,
 * `is_null` true|false), `sort=col` or `sort=-col`, `fields=a,b`, `cursor`, `limit` (≤ 1000).
 */
function parseListQuery(queries: Record<string, string[]>) {
  const filters: Filter[] = [];
  let sort: string | undefined;
  let fields: string[] | undefined;
  let cursor: string | undefined;
  let limit = 100;
  for (const [key, values] of Object.entries(queries)) {
    const value = values[0] ?? "";
    const filter = /^filter\[([a-z][a-z0-9_]{0,62})\]\[([a-z_]+)\]$/.exec(key);
    if (filter) {
      const op = filter[2] as Filter["op"];
      if (!(FILTER_OPS as readonly string[]).includes(op)) {
        throw new ApiError("invalid_request", `Unknown filter operator ${op}`, {
          details: { allowed: FILTER_OPS },
        });
      }
      filters.push({ column: filter[1] as string, op, value });
    } else if (key === "sort") {
      columnName(value.replace(/^-/, ""));
      sort = value;
    } else if (key === "fields") fields = value.split(",").map(columnName);
    else if (key === "cursor") cursor = value.slice(0, 500);
    else if (key === "limit") {
      limit = Number(value);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw new ApiError("invalid_request", "limit must be an integer from 1 to 1000");
      }
    } else throw new ApiError("invalid_request", `Unknown query parameter ${key}`);
  }
  if (filters.length > 20) throw new ApiError("invalid_request", "At most 20 filters");
  return { filters, sort, fields, cursor, limit };
}

/** Tables and rows of a workspace's own database (DESIGN §5). */
export const tablesRoutes = new Hono<AppEnv>()
  .post("/", validate("json", createBody), async (c) => {
    const body = c.req.valid("json");
    const table = await createTable({
      ctx: c.var.ctx,
      input: { workspaceId: workspaceIdOf(c), ...body },
    });
    return c.json({ table }, 201);
  })
  .get("/", async (c) =>
    c.json({
      tables: await listTables({ ctx: c.var.ctx, input: { workspaceId: workspaceIdOf(c) } }),
    }),
  )
  .get("/:table", validate("param", tableParam), async (c) => {
    const { table } = c.req.valid("param");
    return c.json({
      table: await getTable({ ctx: c.var.ctx, input: { workspaceId: workspaceIdOf(c), table } }),
    });
  })
  .patch("/:table", validate("param", tableParam), validate("json", tableChangesSchema), async (c) => {
    const result = await alterTable({
      ctx: c.var.ctx,
      input: {
        workspaceId: workspaceIdOf(c),
        table: c.req.valid("param").table,
        changes: c.req.valid("json"),
      },
    });
    return c.json(result);
  })
  .delete("/:table", validate("param", tableParam), validate("json", dropBody), async (c) => {
    const { table } = c.req.valid("param");
    const confirm = c.req.valid("json")?.confirm ?? c.req.query("confirm");
    await dropTable({ ctx: c.var.ctx, input: { workspaceId: workspaceIdOf(c), table, confirm } });
    return c.body(null, 204);
  })
  .post("/:table/rows", validate("param", tableParam), validate("json", insertBody), async (c) => {
    const body = c.req.valid("json");
    const rows = Array.isArray(body.rows) ? (body.rows as Record<string, unknown>[]) : [body];
    const result = await insertRows({
      ctx: c.var.ctx,
      input: { workspaceId: workspaceIdOf(c), table: c.req.valid("param").table, rows },
    });
    return c.json(result, 201);
  })
  .get("/:table/rows", validate("param", tableParam), async (c) => {
    const query = parseListQuery(c.req.queries());
    const result = await listRows({
      ctx: c.var.ctx,
      input: { workspaceId: workspaceIdOf(c), table: c.req.valid("param").table, query },
    });
    return c.json(result);
  })
  .get("/:table/rows/:id", validate("param", rowParam), async (c) => {
    const { table, id } = c.req.valid("param");
    return c.json({
      row: await getRow({ ctx: c.var.ctx, input: { workspaceId: workspaceIdOf(c), table, id } }),
    });
  })
  .patch("/:table/rows/:id", validate("param", rowParam), validate("json", rowObject), async (c) => {
    const { table, id } = c.req.valid("param");
    const result = await updateRow({
      ctx: c.var.ctx,
      input: { workspaceId: workspaceIdOf(c), table, id, values: c.req.valid("json") },
    });
    return c.json(result);
  })
  .delete("/:table/rows/:id", validate("param", rowParam), async (c) => {
    const { table, id } = c.req.valid("param");
    await deleteRow({ ctx: c.var.ctx, input: { workspaceId: workspaceIdOf(c), table, id } });
    return c.body(null, 204);
  });
