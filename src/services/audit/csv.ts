import type { StoredAuditRow } from "./read";
import { AUDIT_FIELDS, auditValues } from "./record";

/**
 * Cells a spreadsheet would run as a formula start with one of these (OWASP "CSV Injection"):
 * `=`, `+`, `-`, `@`, tab and carriage return — also after leading spaces, which some
 * spreadsheets skip.
 */
const FORMULA_START = /^[\s]*[=+\-@\t\r]/;

/**
 * One CSV field (RFC 4180 §2: quote fields holding quotes, commas or line breaks, doubling inner
 * quotes). Text that a spreadsheet would evaluate is prefixed with `'`, which spreadsheets show as
 * text and never run, and then always quoted.
 */
export function csvField(value: string | number | null): string {
  if (value === null) return "";
  if (typeof value === "number") return String(value);
  const neutral = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(neutral) || neutral !== value ? `"${neutral.replaceAll('"', '""')}"` : neutral;
}

export const CSV_HEADER = ["seq", "id", "time", ...AUDIT_FIELDS.slice(1), "prev_hash", "hash"];

/** ISO 8601 time of an epoch-ms stamp; empty for a value no date can hold (a tampered row). */
const isoTime = (ts: number) => {
  const date = new Date(ts);
  return Number.isNaN(date.getTime()) ? "" : date.toISOString();
};

/** One record, CRLF-terminated (RFC 4180 §2). */
export function csvLine(row: StoredAuditRow): string {
  return `${[row.seq, row.id, isoTime(row.ts), ...auditValues(row).slice(1), row.prev_hash, row.hash]
    .map(csvField)
    .join(",")}\r\n`;
}
