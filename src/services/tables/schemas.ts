import { z } from "zod";
import type { WorkspaceNeed } from "../core/access";
import { confirmation, epochMs, workspaceScoped } from "../core/schemas";
import { MAX_COLUMNS, MAX_INDEXES } from "./check";
import { COLUMN_TYPES, columnSchema, FORMULA_NOTE, identifier, indexSchema, userName } from "./definition";

/** Who may read table definitions and change them (architecture §3). */
export const TABLES_NEEDS = {
  read: { role: "viewer", scope: "data:read" },
  write: { role: "member", scope: "schema:write" },
} as const satisfies Record<string, WorkspaceNeed>;

export { workspaceScoped } from "../core/schemas";
export { columnSchema, identifier, indexSchema, userName } from "./definition";

const tableName = identifier.describe("The table's name, as list_tables shows it");

export const createTableBody = z.strictObject({
  name: userName.describe(
    "The new table's name: lowercase letters, digits and _, starting with a letter (max 63); not a SQL keyword, not starting with _islet_ or sqlite_",
  ),
  columns: z
    .array(columnSchema)
    .min(1)
    .max(MAX_COLUMNS)
    .describe(`1–${MAX_COLUMNS} columns; id, created_at and updated_at are added to every table`),
  indexes: z.array(indexSchema).max(MAX_INDEXES).optional().describe("Indexes to create with the table"),
});
export const createTableInput = createTableBody.extend(workspaceScoped.shape);
export const tableTarget = workspaceScoped.extend({ table: tableName });
export const dropTableBody = z.strictObject({
  confirm: confirmation.describe(
    "The table's name again: the drop is refused (`confirmation_required`) unless it matches",
  ),
});
export const dropTableInput = tableTarget.extend(dropTableBody.shape);
/** `PATCH /tables/:table`: any mix of these, applied in this order, atomically. */
export const tableChangesSchema = z
  .strictObject({
    dropIndexes: z.array(identifier).max(MAX_INDEXES).optional().describe("Names of indexes to drop"),
    dropColumns: z
      .array(identifier)
      .max(MAX_COLUMNS)
      .optional()
      .describe("Names of columns to drop, with their data (indexes on them go too)"),
    renameColumns: z
      .array(
        z.strictObject({
          from: identifier.describe("The column's current name"),
          to: columnSchema.shape.name.describe("Its new name"),
        }),
      )
      .max(MAX_COLUMNS)
      .optional()
      .describe("Columns to rename; formulas naming them must be updated with setFormulas"),
    addColumns: z
      .array(columnSchema)
      .max(MAX_COLUMNS)
      .optional()
      .describe("Columns to add; existing rows get the default, or null (a formula column is computed)"),
    /** New expressions for existing formula columns; every row is recomputed. */
    setFormulas: z
      .array(
        z.strictObject({
          name: identifier.describe("An existing formula column"),
          formula: z.string().min(1).max(2000).describe(FORMULA_NOTE),
        }),
      )
      .max(MAX_COLUMNS)
      .optional()
      .describe("New expressions for existing formula columns; every row is recomputed"),
    addIndexes: z.array(indexSchema).max(MAX_INDEXES).optional().describe("Indexes to create"),
    /** Continues a formula recompute that stopped part-way (its request ran out of sandbox time). */
    resumeRecompute: z
      .literal(true)
      .optional()
      .describe(
        "true continues a formula recompute that stopped part-way (the table's pendingRecompute says so)",
      ),
  })
  .refine(
    (changes) =>
      Object.values(changes).some((list) => list === true || (Array.isArray(list) && list.length > 0)),
    {
      message:
        "Nothing to change: give at least one of dropIndexes, dropColumns, renameColumns, addColumns, setFormulas, addIndexes, resumeRecompute",
    },
  );

export type TableChanges = z.infer<typeof tableChangesSchema>;

export const alterTableInput = tableTarget.extend({
  changes: tableChangesSchema.describe(
    "At least one change; applied in this order, all or nothing: dropIndexes, dropColumns, renameColumns, addColumns, setFormulas, addIndexes",
  ),
});

/** A column as the catalog describes it. */
export const Column = z.object({
  name: z.string(),
  type: z.enum(COLUMN_TYPES),
  notNull: z.boolean().optional(),
  unique: z.boolean().optional(),
  default: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
  formula: z.string().optional(),
});
export const Index = z.object({
  name: z.string(),
  columns: z.array(z.string()),
  unique: z.boolean().optional(),
});
export const PendingRecompute = z.object({
  columns: z.array(z.string()),
  /** The last row id already recomputed. */
  after: z.number().int(),
});
export const Table = z.object({
  name: z.string(),
  columns: z.array(Column),
  indexes: z.array(Index),
  createdAt: epochMs,
  updatedAt: epochMs,
  /** A formula recompute still under way: rows with a greater id hold the previous values. */
  pendingRecompute: PendingRecompute.optional(),
});

/** A formula that failed for one row: the row keeps null there, the write goes through. */
export const FormulaError = z.object({
  row: z.number().int(),
  column: z.string(),
  kind: z.string(),
  message: z.string(),
});

export const AlteredTable = z.object({
  table: Table,
  meta: z.object({
    droppedIndexes: z.array(z.string()),
    recomputedRows: z.number().int(),
    formulaErrors: z.array(FormulaError),
    formulaErrorCount: z.number().int(),
    pendingRecompute: PendingRecompute.optional(),
  }),
});
