// Form bodies as pages read them: the fields as typed (FormFields), and parseForm, which reads them
// through a verb's own input schema, with the few preprocessors for fields whose form shape differs
// from the verb's input (a number typed as text, a comma list, an optional field left empty).
import { z } from "zod";
import { parseOrThrow } from "../lib/validate";

/** A submitted form's fields, read as strings (files are not accepted anywhere). */
export class FormFields {
  constructor(private readonly fields: Record<string, string | File | (string | File)[]>) {}

  /** The field's value, trimmed of nothing: what was typed. Absent → "". */
  text(name: string): string {
    const value = this.fields[name];
    const first = Array.isArray(value) ? value[0] : value;
    return typeof first === "string" ? first : "";
  }

  /** Optional text: "" becomes undefined. */
  optional(name: string): string | undefined {
    const value = this.text(name).trim();
    return value === "" ? undefined : value;
  }

  all(name: string): string[] {
    const value = this.fields[name];
    const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
    return list.filter((v): v is string => typeof v === "string");
  }

  checked(name: string): boolean {
    return this.text(name) !== "";
  }

  /** Every field name with a prefix, e.g. `col.` → the column inputs of a row form. */
  names(prefix: string): string[] {
    return Object.keys(this.fields).filter((name) => name.startsWith(prefix));
  }
}

/**
 * A form read through a verb's own input schema (STYLE: each verb parses its own input), so a page
 * restates none of the verb's limits and casts nothing. A refusal is the verb's own: 400
 * `invalid_request` "Invalid input: <field>: <why>", which the page's ErrorBox shows as the API would answer.
 * Where a form's fields are shaped unlike the verb's input, the schema is the verb's with the
 * fields below (or a page's own small preprocess) in place of those fields.
 */
export function parseForm<S extends z.ZodType>(
  schema: S,
  fields: { [K in keyof z.input<S>]?: unknown },
): z.output<S> {
  return parseOrThrow(schema, fields, "input");
}

/** Optional text, read as FormFields.optional reads it: trimmed, and a field left empty is absent. */
export const optionalText = <S extends z.ZodType>(schema: S) =>
  z.preprocess((value) => (typeof value === "string" ? value.trim() || undefined : value), schema);

/**
 * A number typed into a text field: left empty, it is absent; decimal digits (`12`, `-1`, `1.5`)
 * are that number; anything else stays text, for the verb's schema to refuse.
 */
export const typedNumber = <S extends z.ZodType>(schema: S) =>
  z.preprocess((value) => {
    if (typeof value !== "string") return value;
    const text = value.trim();
    if (text === "") return undefined;
    return /^-?\d{1,15}(\.\d{1,15})?$/.test(text) ? Number(text) : value;
  }, schema);

/** A comma-separated list typed into one field (table allowlists): left empty, it is null (none given). */
export const commaList = <S extends z.ZodType>(schema: S) =>
  z.preprocess(
    (value) =>
      typeof value !== "string" ? value : value.trim() === "" ? null : value.split(",").map((t) => t.trim()),
    schema,
  );
