import type { InStatement } from "@libsql/client/web";
import { z } from "zod";

export const COLUMN_TYPES = ["text", "integer", "real", "boolean", "json", "timestamp", "formula"] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** Columns every table has; users cannot define or write them. */
export const SYSTEM_COLUMNS = ["id", "created_at", "updated_at"] as const;

// SQLite keywords that would need quoting everywhere they appear; refused outright so names stay
// plain (they are still always quoted in SQL).
const RESERVED = new Set(
  `abort action add after all alter analyze and as asc attach autoincrement before begin between by cascade case
  cast check collate column commit conflict constraint create cross current current_date current_time
  current_timestamp database default deferrable deferred delete desc detach distinct drop each else end escape
  except exclusive exists explain fail for foreign from full glob group having if ignore immediate in index
  indexed initially inner insert instead intersect into is isnull join key left like limit match natural no not
  notnull null of offset on or order outer plan pragma primary query raise recursive references regexp reindex
  release rename replace restrict right rollback row rowid savepoint select set table temp temporary then to
  transaction trigger union unique update using vacuum values view virtual when where with without`.split(
    /\s+/,
  ),
);

/** `^[a-z][a-z0-9_]{0,62}$`, not a keyword, not reserved for islet (`_islet_`) or SQLite (`sqlite_`). */
export const identifier = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,62}$/, "must be lowercase letters, digits and _, starting with a letter (max 63)")
  .refine((name) => !RESERVED.has(name), "is a reserved word")
  .refine((name) => !name.startsWith("sqlite_"), "the sqlite_ prefix is reserved");

/** For `formula` columns: one JavaScript expression over `row`, evaluated in the sandbox. */
export const FORMULA_NOTE =
  "For type formula only: one JavaScript expression over the frozen `row`, e.g. `row.price * row.qty` or `row.title.toUpperCase()`; no statements, no network; evaluated on every write, an error leaves null and is reported in meta.formulaErrors";

export const columnSchema = z
  .strictObject({
    name: identifier
      .refine((n) => !(SYSTEM_COLUMNS as readonly string[]).includes(n), "is a system column")
      .describe(
        "The column's name: lowercase letters, digits and _, starting with a letter (max 63); not a SQL keyword, not id, created_at or updated_at",
      ),
    type: z
      .enum(COLUMN_TYPES)
      .describe(
        "text, integer, real, boolean (true/false), json (any JSON value), timestamp (epoch milliseconds), or formula (computed: give `formula`)",
      ),
    notNull: z.boolean().optional().describe("Refuse rows without a value here; false by default"),
    unique: z.boolean().optional().describe("Refuse two rows with the same value here; false by default"),
    default: z
      .union([z.string().max(1000), z.number(), z.boolean(), z.null()])
      .optional()
      .describe("The value a new row gets when it gives none; not for formula columns"),
    formula: z.string().min(1).max(2000).optional().describe(FORMULA_NOTE),
  })
  .refine((c) => (c.type === "formula") === (c.formula !== undefined), {
    message: "a formula column needs `formula`, and only formula columns may have one",
  })
  .refine((c) => c.type !== "formula" || (!c.notNull && !c.unique && c.default === undefined), {
    message: "formula columns cannot carry notNull, unique or default",
  });

export type ColumnDefinition = z.infer<typeof columnSchema>;

/** A name users choose for a table or index: an identifier outside islet's `_islet_` prefix. */
export const userName = identifier.refine((n) => !n.startsWith("_islet_"), "the _islet_ prefix is reserved");

export const MAX_INDEX_COLUMNS = 8;

export const indexSchema = z.strictObject({
  /** Index names share one namespace with tables in SQLite: unique in the workspace's database. */
  name: userName.describe("The index's name, unique among the workspace's tables and indexes"),
  columns: z
    .array(identifier)
    .min(1)
    .max(MAX_INDEX_COLUMNS)
    .refine((cols) => new Set(cols).size === cols.length, "lists a column twice")
    .describe(`The indexed columns, in order (1–${MAX_INDEX_COLUMNS})`),
  unique: z.boolean().optional().describe("Refuse two rows with the same values in these columns"),
});

export type IndexDefinition = z.infer<typeof indexSchema>;

export interface TableDefinition {
  name: string;
  columns: ColumnDefinition[];
  indexes: IndexDefinition[];
  createdAt: number;
  updatedAt: number;
  /** A formula recompute still under way: rows with a greater id hold the previous values. */
  pendingRecompute?: PendingRecompute;
}

export interface PendingRecompute {
  columns: string[];
  /** The last row id already recomputed. */
  after: number;
}

/** Identifiers are validated above and still always quoted. */
export const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

const SQL_TYPE: Record<ColumnType, string> = {
  text: "TEXT",
  integer: "INTEGER",
  real: "REAL",
  boolean: "INTEGER",
  json: "TEXT",
  timestamp: "INTEGER",
  formula: "", // no affinity: a formula may yield any JSON value
};

function sqlLiteral(value: string | number | boolean | null): string {
  if (value === null) return "NULL";
  if (typeof value === "boolean") return value ? "1" : "0";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "NULL";
  return `'${value.replace(/'/g, "''")}'`;
}

/**
 * DDL for one column: type, the CHECKs that keep values honest, constraints. `unique` is not
 * inline: SQLite can neither add a UNIQUE column later nor drop one, so uniqueness is always a
 * named unique index (see `uniqueIndexDdl`), which ALTER can add and drop like any other.
 */
export function columnDdl(c: ColumnDefinition): string {
  const q = quote(c.name);
  const parts = [q, SQL_TYPE[c.type]].filter(Boolean);
  if (c.notNull) parts.push("NOT NULL");
  if (c.default !== undefined) parts.push(`DEFAULT ${sqlLiteral(c.default)}`);
  if (c.type === "boolean") parts.push(`CHECK (${q} IN (0, 1))`);
  if (c.type === "json") parts.push(`CHECK (${q} IS NULL OR json_valid(${q}))`);
  return parts.join(" ");
}

export function createTableDdl(name: string, columns: ColumnDefinition[]): string {
  const body = [
    `"id" INTEGER PRIMARY KEY AUTOINCREMENT`,
    `"created_at" INTEGER NOT NULL`,
    `"updated_at" INTEGER NOT NULL`,
    ...columns.map(columnDdl),
  ];
  return `CREATE TABLE ${quote(name)} (${body.join(", ")})`;
}

/** The unique index behind a column's `unique` flag; `:` and `.` cannot occur in identifiers. */
export const uniqueIndexName = (table: string, column: string) => `_islet_unique:${table}.${column}`;

export const uniqueIndexDdl = (table: string, column: string) =>
  `CREATE UNIQUE INDEX ${quote(uniqueIndexName(table, column))} ON ${quote(table)} (${quote(column)})`;

export const indexDdl = (table: string, index: IndexDefinition) =>
  `CREATE ${index.unique ? "UNIQUE " : ""}INDEX ${quote(index.name)} ON ${quote(table)} (${index.columns
    .map(quote)
    .join(", ")})`;

/** Every statement that creates a table as defined: the table, its unique columns, its indexes. */
export const createTableStatements = (
  name: string,
  columns: ColumnDefinition[],
  indexes: IndexDefinition[],
) => [
  createTableDdl(name, columns),
  ...columns.filter((c) => c.unique).map((c) => uniqueIndexDdl(name, c.name)),
  ...indexes.map((index) => indexDdl(name, index)),
];

/**
 * A new table: its DDL and its catalog entry (`recompute`: a formula recompute to run over rows
 * written with it, as an import does), to run in one transaction.
 */
export const newTableStatements = (
  table: TableDefinition,
  recompute: string | null = null,
): InStatement[] => [
  ...createTableStatements(table.name, table.columns, table.indexes),
  {
    sql: "INSERT INTO _islet_tables (name, columns, indexes, created_at, updated_at, recompute) VALUES (?, ?, ?, ?, ?, ?)",
    args: [
      table.name,
      JSON.stringify(table.columns),
      JSON.stringify(table.indexes),
      table.createdAt,
      table.updatedAt,
      recompute,
    ],
  },
];
