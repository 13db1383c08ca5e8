import { z } from "zod";
import type { WorkspaceNeed } from "../core/access";
import { workspaceScoped } from "../core/schemas";
import { FormulaError, identifier } from "../tables/schemas";
import { FILTER_OPS, type Filter, type ListQuery } from "./query";

/** Who may read and write rows (architecture §3); each call adds its table, for a key's allowlist. */
export const ROWS_NEEDS = {
  read: { role: "viewer", scope: "data:read" },
  write: { role: "member", scope: "data:write" },
} as const satisfies Record<string, WorkspaceNeed>;

export const MAX_BULK_ROWS = 1000;
export const MAX_FILTERS = 20;
export const MAX_PAGE_ROWS = 1000;

export const rowId = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const tableName = identifier.describe("The table's name, as list_tables shows it");
export const rowTarget = workspaceScoped.extend({
  table: tableName,
  id: rowId.describe("The row's `id` (a positive integer islet assigned on insert)"),
});
/** Column values by name; each is checked against the table's column types by the verb. */
export const rowValues = z.record(z.string(), z.unknown()).meta({ example: { title: "hello" } });
const ROW_VALUES_NOTE =
  "Column values by name: text as strings, integer/real as numbers, boolean as true/false, json as any JSON value, timestamp as epoch milliseconds; id, created_at, updated_at and formula columns are islet's";
export const insertRowsBody = z
  .union([z.strictObject({ rows: z.array(rowValues).min(1).max(MAX_BULK_ROWS) }), rowValues])
  .meta({ example: { rows: [{ title: "hello" }, { title: "world" }] } });
export const insertRowsInput = workspaceScoped.extend({
  table: tableName,
  rows: z
    .array(rowValues.describe(ROW_VALUES_NOTE))
    .min(1)
    .max(MAX_BULK_ROWS)
    .describe(`1 to ${MAX_BULK_ROWS} rows, inserted in one transaction (all or none)`),
});
export const updateRowInput = rowTarget.extend({
  values: rowValues.describe(`Only the columns to change. ${ROW_VALUES_NOTE}`),
});

const columnList = z
  .string()
  .max(4000)
  .transform((value) => value.split(","))
  .pipe(z.array(identifier).min(1).max(200));

/**
 * `filter[col][op]=value` arrives as flat keys; the documented shape is `filter: {col: {op: value}}`.
 * Only a column name and a known operator nest (anything else stays a flat key, which the strict
 * schema refuses), and the objects are built from entries, so `filter[__proto__][x]` can never
 * reach a prototype.
 */
const FILTER_KEY = /^filter\[([a-z][a-z0-9_]{0,62})\]\[([a-z_]{1,16})\]$/;
const FILTER_COLUMN = /^filter\[([a-z][a-z0-9_]{0,62})\]$/;
const isOp = (op: string) => (FILTER_OPS as readonly string[]).includes(op);

/**
 * `filter[col]=value` is `eq`. OpenAPI's deepObject style is defined one level deep (OpenAPI 3.1
 * §4.8.12.4), so clients that serialize the documented nested object by it (Swagger UI,
 * swagger-client) send `filter[col]={"op":"value"}`: a JSON object of known operators reads as
 * those operators; any other text is the `eq` operand.
 */
function columnOps(value: unknown): [string, unknown][] {
  if (typeof value === "string" && value.startsWith("{")) {
    try {
      const parsed: unknown = JSON.parse(value);
      if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
        const entries = Object.entries(parsed);
        const scalar = (v: unknown) => ["string", "number", "boolean"].includes(typeof v);
        if (entries.length > 0 && entries.every(([op, v]) => isOp(op) && scalar(v))) {
          return entries.map(([op, v]) => [op, String(v)]);
        }
      }
    } catch {
      // Not JSON: the operand of `eq`.
    }
  }
  return [["eq", value]];
}

function nestFilters(query: unknown): unknown {
  if (typeof query !== "object" || query === null) return query;
  const flat: [string, unknown][] = [];
  const filter = new Map<string, [string, unknown][]>();
  for (const [key, value] of Object.entries(query)) {
    const [, column, op] = FILTER_KEY.exec(key) ?? [];
    const [, shortColumn] = FILTER_COLUMN.exec(key) ?? [];
    if (column && op && isOp(op)) {
      filter.set(column, [...(filter.get(column) ?? []), [op, value]]);
    } else if (shortColumn) {
      filter.set(shortColumn, [...(filter.get(shortColumn) ?? []), ...columnOps(value)]);
    } else flat.push([key, value]);
  }
  if (filter.size > 0) {
    flat.push(["filter", Object.fromEntries([...filter].map(([c, ops]) => [c, Object.fromEntries(ops)]))]);
  }
  return Object.fromEntries(flat);
}

export const DEFAULT_PAGE_ROWS = 100;
const SORT_NOTE = "One column: `col` ascending, `-col` descending (ties by id); id ascending by default";
const CURSOR_NOTE = "The previous page's `nextCursor`, to read the next page with the same filters and sort";
const LIMIT_NOTE = `Rows per page, 1–${MAX_PAGE_ROWS}; ${DEFAULT_PAGE_ROWS} by default`;

/** `col` ascending, `-col` descending. */
const sortSpec = z
  .string()
  .regex(/^-?[a-z][a-z0-9_]{0,62}$/, "must be a column name, optionally prefixed with -");

const FILTER_NOTE =
  "Ops: eq ne lt lte gt gte in like is_null. `in` takes a comma list (`a,b,c`); `like` takes a SQL pattern (`%milk%`); `is_null` takes true or false; timestamps compare as epoch milliseconds; booleans as true/false.";

const filterSpec = z
  .record(identifier, z.partialRecord(z.enum(FILTER_OPS), z.string().max(10_000)))
  // OpenAPI 3.1 §4.8.12.4: an object in the query string, one key per column (Swagger's "try it out").
  .meta({
    description: `filter[col][op]=value, ANDed; filter[col]=value is eq. ${FILTER_NOTE} Deep-object clients may send filter[col]={"op":"value"}.`,
    example: { title: { eq: "hello" } },
    param: { style: "deepObject", explode: true },
  });

/** The rows list's query string (architecture §5): filters, sort, sparse fields, cursor pagination. */
export const listRowsQuery = z.preprocess(
  nestFilters,
  z.strictObject({
    filter: filterSpec.optional(),
    sort: sortSpec.optional().describe(SORT_NOTE),
    fields: columnList.optional().describe("A comma list of the columns to return (id is always returned)"),
    cursor: z.string().max(500).optional().describe(CURSOR_NOTE),
    limit: z.coerce.number().int().min(1).max(MAX_PAGE_ROWS).default(DEFAULT_PAGE_ROWS).describe(LIMIT_NOTE),
  }),
);

/**
 * The verb's form of a list query. Everything but the table is optional with REST's defaults
 * (issue 30: an agent's first `list_rows` names only a table): no filters, `limit` 100.
 */
export const listQuery = z.strictObject({
  filters: z
    .array(
      z.strictObject({
        column: identifier.describe("A column of the table, or id, created_at, updated_at"),
        op: z.enum(FILTER_OPS).describe(FILTER_NOTE),
        // A JSON number or boolean is what an agent writes for `gt 5`; it means its text, as in a query string.
        value: z
          .union([z.string().max(10_000), z.number(), z.boolean()])
          .transform(String)
          .describe(
            "The operand, as text or a JSON number/boolean: `in` takes `a,b,c`, `is_null` takes true|false",
          ),
      }),
    )
    .max(MAX_FILTERS, `At most ${MAX_FILTERS} filters`)
    .default([])
    .describe(`Conditions every returned row meets (ANDed), at most ${MAX_FILTERS}; none by default`),
  sort: sortSpec.optional().describe(SORT_NOTE),
  fields: z
    .array(identifier)
    .min(1)
    .max(200)
    .optional()
    .describe("The columns to return (id is always returned); every column by default"),
  cursor: z.string().max(500).optional().describe(CURSOR_NOTE),
  limit: z.number().int().min(1).max(MAX_PAGE_ROWS).default(DEFAULT_PAGE_ROWS).describe(LIMIT_NOTE),
});
export const listRowsInput = workspaceScoped.extend({
  table: tableName,
  query: listQuery
    .default({ filters: [], limit: DEFAULT_PAGE_ROWS })
    .describe("Which rows and how many: filters, sort, fields, cursor, limit; all optional"),
});
export const countRowsInput = workspaceScoped.extend({ table: tableName, filters: listQuery.shape.filters });

/** The documented query string as the verb takes it. */
export function toListQuery(query: z.output<typeof listRowsQuery>): ListQuery {
  const filters: Filter[] = [];
  for (const [column, ops] of Object.entries(query.filter ?? {})) {
    for (const [op, value] of Object.entries(ops ?? {})) {
      if (value !== undefined) filters.push({ column, op: op as Filter["op"], value });
    }
  }
  return {
    filters,
    limit: query.limit,
    ...(query.sort === undefined ? {} : { sort: query.sort }),
    ...(query.fields === undefined ? {} : { fields: query.fields }),
    ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
  };
}

export const Row = z.record(z.string(), z.unknown()).meta({
  description: "Column values by name, with id, created_at, updated_at",
  example: { id: 1, created_at: 1767225600000, updated_at: 1767225600000, title: "hello" },
});
export const RowsPage = z.object({ rows: z.array(Row), nextCursor: z.string().nullable() });
export const WrittenRows = z.object({
  rows: z.array(Row),
  meta: z.object({ formulaErrors: z.array(FormulaError) }),
});
export const WrittenRow = z.object({ row: Row, meta: z.object({ formulaErrors: z.array(FormulaError) }) });
