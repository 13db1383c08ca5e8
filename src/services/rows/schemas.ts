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
export const rowTarget = workspaceScoped.extend({ table: identifier, id: rowId });
/** Column values by name; each is checked against the table's column types by the verb. */
export const rowValues = z.record(z.string(), z.unknown());
export const insertRowsBody = z.union([
  z.strictObject({ rows: z.array(rowValues).min(1).max(MAX_BULK_ROWS) }),
  rowValues,
]);
export const insertRowsInput = workspaceScoped.extend({
  table: identifier,
  rows: z.array(rowValues).min(1).max(MAX_BULK_ROWS),
});
export const updateRowInput = rowTarget.extend({ values: rowValues });

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

function nestFilters(query: unknown): unknown {
  if (typeof query !== "object" || query === null) return query;
  const flat: [string, unknown][] = [];
  const filter = new Map<string, [string, unknown][]>();
  for (const [key, value] of Object.entries(query)) {
    const match = FILTER_KEY.exec(key);
    const [, column, op] = match ?? [];
    if (column && op && (FILTER_OPS as readonly string[]).includes(op)) {
      filter.set(column, [...(filter.get(column) ?? []), [op, value]]);
    } else flat.push([key, value]);
  }
  if (filter.size > 0) {
    flat.push(["filter", Object.fromEntries([...filter].map(([c, ops]) => [c, Object.fromEntries(ops)]))]);
  }
  return Object.fromEntries(flat);
}

/** `col` ascending, `-col` descending. */
const sortSpec = z
  .string()
  .regex(/^-?[a-z][a-z0-9_]{0,62}$/, "must be a column name, optionally prefixed with -");

const filterSpec = z
  .record(identifier, z.partialRecord(z.enum(FILTER_OPS), z.string().max(10_000)))
  .describe(
    "filter[col][op]=value. Ops: eq ne lt lte gt gte in like is_null; `in` takes a comma list, `is_null` true|false.",
  );

/** The rows list's query string (architecture §5): filters, sort, sparse fields, cursor pagination. */
export const listRowsQuery = z.preprocess(
  nestFilters,
  z.strictObject({
    filter: filterSpec.optional(),
    sort: sortSpec.optional(),
    /** A comma list of columns to return. */
    fields: columnList.optional(),
    cursor: z.string().max(500).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_PAGE_ROWS).default(100),
  }),
);

/** The verb's form of a list query. */
export const listQuery = z.strictObject({
  filters: z
    .array(z.strictObject({ column: identifier, op: z.enum(FILTER_OPS), value: z.string().max(10_000) }))
    .max(MAX_FILTERS, `At most ${MAX_FILTERS} filters`),
  sort: sortSpec.optional(),
  fields: z.array(identifier).min(1).max(200).optional(),
  cursor: z.string().max(500).optional(),
  limit: z.number().int().min(1).max(MAX_PAGE_ROWS),
});
export const listRowsInput = workspaceScoped.extend({ table: identifier, query: listQuery });
export const countRowsInput = workspaceScoped.extend({ table: identifier, filters: listQuery.shape.filters });

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

export const Row = z
  .record(z.string(), z.unknown())
  .describe("Column values by name, with id, created_at, updated_at");
export const RowsPage = z.object({ rows: z.array(Row), nextCursor: z.string().nullable() });
export const WrittenRows = z.object({
  rows: z.array(Row),
  meta: z.object({ formulaErrors: z.array(FormulaError) }),
});
export const WrittenRow = z.object({ row: Row, meta: z.object({ formulaErrors: z.array(FormulaError) }) });
