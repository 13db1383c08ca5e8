import type { InValue } from "@libsql/client/web";
import { base64UrlToBytes, bytesToBase64Url, utf8 } from "../../lib/encoding";
import { ApiError } from "../../lib/errors";
import { type ColumnDefinition, quote, type TableDefinition } from "../tables/definition";

export const FILTER_OPS = ["eq", "ne", "lt", "lte", "gt", "gte", "in", "like", "is_null"] as const;
export type FilterOp = (typeof FILTER_OPS)[number];
export interface Filter {
  column: string;
  op: FilterOp;
  value: string;
}

export interface ListQuery {
  filters: Filter[];
  sort?: string;
  fields?: string[];
  cursor?: string;
  limit: number;
}

const SQL_OP: Record<Exclude<FilterOp, "in" | "is_null">, string> = {
  eq: "=",
  ne: "!=",
  lt: "<",
  lte: "<=",
  gt: ">",
  gte: ">=",
  like: "LIKE",
};

const SYSTEM: ColumnDefinition[] = [
  { name: "id", type: "integer" },
  { name: "created_at", type: "timestamp" },
  { name: "updated_at", type: "timestamp" },
];

export const columnsOf = (table: TableDefinition) => [...SYSTEM, ...table.columns];

function columnNamed(table: TableDefinition, name: string): ColumnDefinition {
  const column = columnsOf(table).find((c) => c.name === name);
  if (!column) {
    throw new ApiError("invalid_request", `Column ${name} is not a column of ${table.name}`, {
      details: { column: name },
    });
  }
  return column;
}

/** A query-string value coerced to the column's type, bound as a parameter. */
function filterValue(column: ColumnDefinition, raw: string): InValue {
  switch (column.type) {
    case "integer":
    case "timestamp":
    case "real": {
      const n = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(n)) {
        throw new ApiError("invalid_request", `Column ${column.name}: filter value must be a number`, {
          details: { column: column.name },
        });
      }
      return n;
    }
    case "boolean":
      if (raw !== "true" && raw !== "false") {
        throw new ApiError("invalid_request", `Column ${column.name}: filter value must be true or false`, {
          details: { column: column.name },
        });
      }
      return raw === "true" ? 1 : 0;
    default:
      return raw;
  }
}

/** Keyset position: the last row's sort value and id, and the sort it was made for. */
interface Cursor {
  v: InValue;
  id: number;
  sort: string;
}
const encodeCursor = (c: Cursor) => bytesToBase64Url(utf8(JSON.stringify([c.v, c.id, c.sort])));
function decodeCursor(text: string, sort: string): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(base64UrlToBytes(text)));
  } catch {
    parsed = undefined;
  }
  const [v, id, madeFor] = Array.isArray(parsed) ? parsed : [];
  const scalar = v === null || ["string", "number", "boolean"].includes(typeof v);
  if (!Array.isArray(parsed) || parsed.length !== 3 || !scalar || !Number.isSafeInteger(id)) {
    throw new ApiError("invalid_request", "The cursor is invalid");
  }
  if (madeFor !== sort) {
    throw new ApiError("invalid_request", "The cursor belongs to another sort order; start again without it");
  }
  return { v: v as InValue, id: id as number, sort };
}

/** The filters as WHERE clauses, every value bound as a parameter. */
function filterClauses(table: TableDefinition, filters: Filter[]): { where: string[]; args: InValue[] } {
  const where: string[] = [];
  const args: InValue[] = [];
  for (const filter of filters) {
    const column = columnNamed(table, filter.column);
    const q = quote(column.name);
    if (filter.op === "is_null") {
      where.push(filter.value === "false" ? `${q} IS NOT NULL` : `${q} IS NULL`);
    } else if (filter.op === "in") {
      const values = filter.value.split(",").slice(0, 100);
      where.push(`${q} IN (${values.map(() => "?").join(", ")})`);
      args.push(...values.map((v) => filterValue(column, v)));
    } else {
      where.push(`${q} ${SQL_OP[filter.op]} ?`);
      args.push(filterValue(column, filter.value));
    }
  }
  return { where, args };
}

/** How many rows match the filters (the whole table without any): the same WHERE as a page's. */
export function countSql(table: TableDefinition, filters: Filter[]): { sql: string; args: InValue[] } {
  const { where, args } = filterClauses(table, filters);
  const sql = `SELECT count(*) AS n FROM ${quote(table.name)}${where.length ? ` WHERE ${where.join(" AND ")}` : ""}`;
  return { sql, args };
}

/**
 * SELECT for a page: filters bound as parameters, sort by one column then id, keyset pagination
 * on (sort value, id) so pages stay stable while rows are inserted.
 */
export function listSql(table: TableDefinition, query: ListQuery): { sql: string; args: InValue[] } {
  const { where, args } = filterClauses(table, query.filters);
  const descending = query.sort?.startsWith("-") ?? false;
  const sortColumn = columnNamed(table, query.sort?.replace(/^-/, "") || "id");
  const sq = quote(sortColumn.name);
  const cmp = descending ? "<" : ">";
  if (query.cursor) {
    const cursor = decodeCursor(query.cursor, query.sort ?? "id");
    if (sortColumn.name === "id") {
      where.push(`"id" ${cmp} ?`);
      args.push(cursor.id);
    } else if (cursor.v === null) {
      // SQLite sorts NULL first: ascending, every non-null value is still ahead; descending, only NULLs.
      where.push(
        descending ? `(${sq} IS NULL AND "id" < ?)` : `((${sq} IS NULL AND "id" > ?) OR ${sq} IS NOT NULL)`,
      );
      args.push(cursor.id);
    } else {
      where.push(
        descending
          ? `(${sq} < ? OR ${sq} IS NULL OR (${sq} = ? AND "id" < ?))`
          : `(${sq} > ? OR (${sq} = ? AND "id" > ?))`,
      );
      args.push(cursor.v, cursor.v, cursor.id);
    }
  }
  const fields = query.fields?.length
    ? ["id", ...query.fields.filter((f) => f !== "id")].map((f) => quote(columnNamed(table, f).name))
    : ["*"];
  const order = descending ? "DESC" : "ASC";
  const orderBy = sortColumn.name === "id" ? `"id" ${order}` : `${sq} ${order}, "id" ${order}`;
  const sql = `SELECT ${fields.join(", ")}${sortColumn.name !== "id" && query.fields?.length ? `, ${sq} AS "__sort"` : ""} FROM ${quote(table.name)}${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY ${orderBy} LIMIT ${query.limit + 1}`;
  return { sql, args };
}

export function nextCursor(table: TableDefinition, query: ListQuery, last: Record<string, unknown>): string {
  const sortName = query.sort?.replace(/^-/, "") || "id";
  const v = (sortName in last ? last[sortName] : last.__sort) as InValue;
  columnNamed(table, sortName);
  return encodeCursor({ v: v ?? null, id: Number(last.id), sort: query.sort ?? "id" });
}
