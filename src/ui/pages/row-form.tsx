// A table row as a form, shared by the rows page (insert) and a row's page (edit): each column's
// input, and the typed text read back as the column's value. The verbs take JSON values, checked
// against the table's column types (services/tables/values.ts), so the form types each field by
// its column here, and leaves text it cannot type for the verb to refuse.
import type { FormFields } from "../../http/form";
import { ApiError } from "../../lib/errors";
import type { getTable } from "../../services/tables";
import { Field } from "../kit";

export type Column = Awaited<ReturnType<typeof getTable>>["columns"][number];

/** A value as the pages show it: text as is, anything else as JSON, null as nothing. */
export const show = (value: unknown): string =>
  value === null || value === undefined ? "" : typeof value === "string" ? value : JSON.stringify(value);

/** A form field's text as the column's type, or the text itself for the verb to refuse clearly. */
function valueFor(column: Column, form: FormFields, name: string): unknown {
  if (column.type === "boolean") return form.checked(name);
  const text = form.text(name);
  if (text === "") return null;
  switch (column.type) {
    case "integer":
    case "timestamp":
      return /^-?\d{1,16}$/.test(text.trim()) ? Number(text.trim()) : text;
    case "real":
      return text.trim() !== "" && Number.isFinite(Number(text)) ? Number(text) : text;
    case "json":
      try {
        return JSON.parse(text);
      } catch {
        throw new ApiError("invalid_request", `${column.name} must be JSON`, {
          details: { field: column.name },
        });
      }
    default:
      return text;
  }
}

/** The writable columns' values from a row form; on insert, empty fields are left to defaults. */
export function rowValues(columns: Column[], form: FormFields, insert: boolean): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const column of columns) {
    if (column.type === "formula") continue;
    const name = `col.${column.name}`;
    if (insert && column.type !== "boolean" && form.text(name) === "") continue;
    values[column.name] = valueFor(column, form, name);
  }
  return values;
}

/** A writable column's input, holding `value` (a checkbox for booleans, a textarea for JSON). */
export function ColumnInput({ column, value }: { column: Column; value: unknown }) {
  const name = `col.${column.name}`;
  if (column.type === "boolean") {
    return (
      <label class="check">
        <input type="checkbox" name={name} value="1" checked={value === true} /> {column.name}
      </label>
    );
  }
  if (column.type === "json") {
    return (
      <label>
        {column.name} <span class="muted">json</span>
        <textarea name={name}>{show(value)}</textarea>
      </label>
    );
  }
  // Numeric columns get numeric inputs (a phone shows its number pad; the browser refuses letters).
  const numeric =
    column.type === "integer" || column.type === "timestamp"
      ? { step: "1", inputmode: "numeric" }
      : column.type === "real"
        ? { step: "any", inputmode: "decimal" }
        : undefined;
  return (
    <Field
      label={`${column.name} (${column.type})`}
      name={name}
      type={numeric ? "number" : "text"}
      value={show(value)}
      required={column.notNull && column.default === undefined}
      extra={numeric}
      hint={column.type === "timestamp" ? "milliseconds since 1970-01-01 UTC" : undefined}
    />
  );
}
