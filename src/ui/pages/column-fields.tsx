// A column's inputs (name, type, default, formula, not null, unique), shared by the create-table
// form (any number of them, `c<i>.` prefixes) and the table editor's "add a column" form, and how
// a form's column rows become the verb's column input.
import type { FormFields } from "../../http/form";
import { MAX_COLUMNS } from "../../services/tables/check";
import { COLUMN_TYPES } from "../../services/tables/definition";
import { Field } from "../kit";

/** One column's inputs, every name prefixed (`c0.name`, `c0.type`, …). */
export function ColumnFields(props: { prefix: string; legend: string; form?: FormFields }) {
  const { prefix, form } = props;
  const name = (field: string) => `${prefix}${field}`;
  return (
    <fieldset class="column" data-column-prefix={prefix}>
      <legend>{props.legend}</legend>
      <div class="columns">
        <Field label="Name" name={name("name")} value={form?.text(name("name"))} />
        <label>
          Type
          <select name={name("type")}>
            {COLUMN_TYPES.map((type) => (
              <option value={type} selected={form?.text(name("type")) === type}>
                {type}
              </option>
            ))}
          </select>
        </label>
        <Field label="Default" name={name("default")} value={form?.text(name("default"))} />
        <Field
          label="Formula (JavaScript over row)"
          name={name("formula")}
          value={form?.text(name("formula"))}
          placeholder="row.price * row.qty"
        />
        <div class="checks">
          <label class="check">
            <input
              type="checkbox"
              name={name("notNull")}
              value="1"
              checked={form?.checked(name("notNull"))}
            />{" "}
            not null
          </label>
          <label class="check">
            <input type="checkbox" name={name("unique")} value="1" checked={form?.checked(name("unique"))} />{" "}
            unique
          </label>
        </div>
      </div>
    </fieldset>
  );
}

/**
 * The column a form's `prefix` inputs describe, or undefined when its name is left empty (a blank
 * row is no column). The default is typed as the column's type (the verb's schema checks it).
 */
export function columnOf(form: FormFields, prefix: string): Record<string, unknown> | undefined {
  const field = (name: string) => `${prefix}${name}`;
  const name = form.optional(field("name"));
  if (!name) return undefined;
  const type = form.text(field("type"));
  const fallback = form.optional(field("default"));
  return {
    name,
    type,
    // Every row offers every input; a column takes the formula only when it is a formula column.
    ...(type === "formula" ? { formula: form.optional(field("formula")) ?? "" } : {}),
    ...(form.checked(field("notNull")) ? { notNull: true } : {}),
    ...(form.checked(field("unique")) ? { unique: true } : {}),
    ...(fallback === undefined ? {} : { default: typedDefault(type, fallback) }),
  };
}

/** A default typed into the form, as its column's type: numbers, or true/false. */
function typedDefault(type: string, text: string): unknown {
  if (type === "integer" || type === "real") return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
  if (type === "boolean") return text === "true" ? true : text === "false" ? false : text;
  return text;
}

/**
 * The create form's column slots, however many were sent (the page's script adds slots, and the
 * "Add a column" button does without script): `c<i>.name` for i below the table's column limit,
 * in slot order, blank ones skipped.
 */
export function columnRows(form: FormFields): Record<string, unknown>[] {
  const slots = form
    .names("c")
    .map((name) => /^c(\d{1,3})\.name$/.exec(name)?.[1])
    .filter((i): i is string => i !== undefined)
    .map(Number)
    .filter((i) => i < MAX_COLUMNS * 2)
    .sort((a, b) => a - b);
  return slots.map((i) => columnOf(form, `c${i}.`)).filter((c) => c !== undefined);
}

/** How many slots the form had (the highest slot index sent, plus one). */
export function slotCount(form: FormFields | undefined): number {
  if (!form) return 0;
  const indexes = form.names("c").map((name) => Number(/^c(\d{1,3})\./.exec(name)?.[1] ?? -1));
  return Math.min(Math.max(-1, ...indexes) + 1, MAX_COLUMNS);
}
