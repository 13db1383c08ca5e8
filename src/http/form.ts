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
