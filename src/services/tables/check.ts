import { ApiError } from "../../lib/errors";
import { validateFormula } from "../../sandbox";
import { type ColumnDefinition, SYSTEM_COLUMNS, type TableDefinition } from "./definition";

export const MAX_COLUMNS = 100;
export const MAX_INDEXES = 20;
/** Formula columns per table: each one is evaluated on every write of every row. */
export const MAX_FORMULA_COLUMNS = 10;

const invalid = (message: string, details?: Record<string, unknown>) =>
  new ApiError("invalid_request", message, { details });

/**
 * The rules a whole table definition keeps, at creation and after every change: distinct column
 * and index names, bounded counts, indexes over existing columns, valid formulas (checked for the
 * `formulas` given: the new or changed ones).
 */
export async function checkDefinition(
  table: Pick<TableDefinition, "name" | "columns" | "indexes">,
  formulas: ColumnDefinition[],
): Promise<void> {
  const columns = new Set<string>(SYSTEM_COLUMNS);
  for (const column of table.columns) {
    if (columns.has(column.name))
      throw invalid(`Column ${column.name} is defined twice`, { column: column.name });
    columns.add(column.name);
  }
  if (table.columns.length > MAX_COLUMNS) throw invalid(`A table has at most ${MAX_COLUMNS} columns`);
  if (table.indexes.length > MAX_INDEXES) throw invalid(`A table has at most ${MAX_INDEXES} indexes`);
  if (table.columns.filter((c) => c.type === "formula").length > MAX_FORMULA_COLUMNS)
    throw invalid(`A table has at most ${MAX_FORMULA_COLUMNS} formula columns`);
  const indexes = new Set<string>([table.name]);
  for (const index of table.indexes) {
    if (indexes.has(index.name))
      throw invalid(`Index name ${index.name} is used twice`, { index: index.name });
    indexes.add(index.name);
    const unknown = index.columns.find((c) => !columns.has(c));
    if (unknown) {
      throw invalid(`Index ${index.name}: ${unknown} is not a column of ${table.name}`, {
        index: index.name,
      });
    }
  }
  for (const column of formulas) {
    if (column.formula === undefined) continue;
    const check = await validateFormula(column.formula);
    if (!check.ok) {
      throw invalid(`Formula of column ${column.name} is invalid: ${check.message}`, { column: column.name });
    }
  }
}

/**
 * A formula that still names a column that is gone (dropped, or renamed without the formula
 * being changed in the same request) would silently compute from `undefined`: refused instead.
 * The match is by word, so it errs towards refusing (a string literal with the name counts too).
 */
export function checkFormulaReferences(columns: ColumnDefinition[], gone: string[]): void {
  const remaining = new Set(columns.map((c) => c.name));
  for (const name of gone.filter((g) => !remaining.has(g))) {
    const word = new RegExp(`\\b${name}\\b`);
    const user = columns.find((c) => c.formula !== undefined && word.test(c.formula));
    if (user) {
      throw new ApiError(
        "conflict",
        `Column ${name} is used by the formula of ${user.name}; change that formula in the same request (setFormulas) or drop it first`,
        { details: { column: name, formula: user.name } },
      );
    }
  }
}
