import type { InValue } from "@libsql/client/web";
import { ApiError } from "../../lib/errors";
import { DEFAULT_LIMITS, evaluateFormulaBatch } from "../../sandbox";
import type { ServiceContext } from "../core/context";
import { withinSandboxBudget } from "../sandbox-budget";
import type { ColumnDefinition, TableDefinition } from "./definition";

export type RowInput = Record<string, unknown>;

const invalid = (column: string, message: string) =>
  new ApiError("invalid_request", `Column ${column}: ${message}`, { details: { column } });

/** One API value → the value bound for its column's type (never interpolated into SQL). */
export function toSqlValue(column: ColumnDefinition, value: unknown): InValue {
  if (value === null) {
    if (column.notNull) throw invalid(column.name, "must not be null");
    return null;
  }
  switch (column.type) {
    case "text":
      if (typeof value !== "string") throw invalid(column.name, "must be a string");
      if (value.length > 1_000_000) throw invalid(column.name, "is longer than 1,000,000 characters");
      return value;
    case "integer":
    case "timestamp":
      if (typeof value !== "number" || !Number.isSafeInteger(value))
        throw invalid(column.name, "must be an integer");
      return value;
    case "real":
      if (typeof value !== "number" || !Number.isFinite(value))
        throw invalid(column.name, "must be a finite number");
      return value;
    case "boolean":
      if (typeof value !== "boolean") throw invalid(column.name, "must be true or false");
      return value ? 1 : 0;
    case "json":
      return JSON.stringify(value);
    case "formula":
      throw invalid(column.name, "is a formula column and is computed, not written");
  }
}

/** A stored value → its API form. */
export function fromSqlValue(column: ColumnDefinition | undefined, value: unknown): unknown {
  if (value === null || value === undefined || !column) return value ?? null;
  if (column.type === "boolean") return value === 1 || value === 1n;
  if (column.type === "json" || column.type === "formula") {
    try {
      return JSON.parse(String(value));
    } catch {
      return value;
    }
  }
  return typeof value === "bigint" ? Number(value) : value;
}

/** Validates a write: known columns only, types checked, system and formula columns refused. */
export function checkWrite(
  table: TableDefinition,
  input: RowInput,
  partial: boolean,
): Record<string, InValue> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new ApiError("invalid_request", "A row must be a JSON object");
  }
  const byName = new Map(table.columns.map((c) => [c.name, c]));
  const out: Record<string, InValue> = {};
  for (const [name, value] of Object.entries(input)) {
    const column = byName.get(name);
    if (!column) throw invalid(name, `is not a column of ${table.name}`);
    out[name] = toSqlValue(column, value);
  }
  if (!partial) {
    for (const column of table.columns) {
      if (column.notNull && column.default === undefined && !(column.name in out)) {
        throw invalid(column.name, "is required");
      }
    }
  }
  return out;
}

export interface FormulaError {
  row: number;
  column: string;
  kind: string;
  message: string;
}

/**
 * Stored formulas (computed on write): each formula column is evaluated in the sandbox over the
 * row's API values; a formula that throws stores null and is reported, never a 500. All of a
 * request's formulas share its sandbox budget: once spent, the request is a 422 (`budget`).
 */
export async function applyFormulas(
  ctx: ServiceContext,
  table: TableDefinition,
  rows: RowInput[],
  stored: Record<string, InValue>[],
): Promise<FormulaError[]> {
  const errors: FormulaError[] = [];
  for (const column of table.columns) {
    if (column.type !== "formula" || column.formula === undefined) continue;
    const expression = column.formula;
    // Every column's batch draws from the request's one budget (rows and columns together).
    const results = await withinSandboxBudget(
      ctx,
      DEFAULT_LIMITS.timeoutMs,
      (limits, onUsage) => evaluateFormulaBatch({ expression, rows, limits, onUsage }),
      (batch) => batch.some((r) => !r.ok && r.error.kind === "timeout"),
    );
    results.forEach((result, index) => {
      const target = stored[index] as Record<string, InValue>;
      if (result.ok) target[column.name] = JSON.stringify(result.value);
      else {
        target[column.name] = null;
        errors.push({
          row: index,
          column: column.name,
          kind: result.error.kind,
          message: result.error.message,
        });
      }
    });
  }
  return errors;
}
