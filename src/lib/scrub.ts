// Removes secret values from what leaves islet: a function's result, logs and error message (its
// bound secrets), an API account's answer (its credential) (architecture §6, §7). The real defence is that only admins may bind
// secrets; this catches the obvious ways a value leaks: as is, in any letter case, JSON-escaped,
// percent-encoded, as UTF-16 read as UTF-8 (a NUL between characters), in base64 (standard and
// url-safe, at every byte alignment, so a secret embedded in a longer encoded string is caught too)
// and hex.
import { bytesToBase64, bytesToBase64Url, bytesToHex, utf8 } from "./encoding";

export const REDACTED = "[redacted]";

/** Base64 characters determined by the secret's bytes alone, for each of the 3 byte alignments. */
function base64Cores(bytes: Uint8Array, urlSafe: boolean): string[] {
  const cores: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const padded = new Uint8Array(offset + bytes.length);
    padded.set(bytes, offset);
    const encoded = (urlSafe ? bytesToBase64Url(padded) : bytesToBase64(padded)).replace(/=+$/, "");
    // Leading chars mix the filler bytes, the last one may mix what follows the secret.
    const start = Math.ceil((offset * 8) / 6);
    const end = Math.floor(((offset + bytes.length) * 8) / 6);
    const core = encoded.slice(start, end);
    if (core.length >= 4) cores.push(core);
  }
  return cores;
}

/** Every form of each secret value that is scrubbed, longest first so overlaps redact fully. */
export function leakForms(values: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const value of values) {
    if (value.length === 0) continue;
    const bytes = utf8(value);
    forms.add(value);
    // As JSON shows it (console.log of an object, JSON.stringify): quotes, backslashes, newlines escaped.
    forms.add(JSON.stringify(value).slice(1, -1));
    // Each long line of a multi-line secret (a PEM key, a service-account file) on its own.
    for (const line of value.split(/\r?\n/)) if (line.trim().length >= 8) forms.add(line.trim());
    forms.add(encodeURIComponent(value));
    // UTF-16 (either byte order) decoded as UTF-8 or Latin-1: each character followed by NUL.
    if (value.length >= 2) forms.add([...value].join("\u0000"));
    forms.add(bytesToHex(bytes));
    forms.add(bytesToBase64(bytes));
    forms.add(bytesToBase64(bytes).replace(/=+$/, ""));
    forms.add(bytesToBase64Url(bytes));
    for (const core of [...base64Cores(bytes, false), ...base64Cores(bytes, true)]) forms.add(core);
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

export interface Scrubber {
  text: (text: string) => string;
  /** Walks a JSON value: strings and keys are scrubbed; a number that spells a secret is redacted. */
  value: (value: unknown) => unknown;
}

/** Forms this long or longer are matched in any letter case; shorter ones (a word) only as they are. */
const CASELESS_MIN = 8;

/** Where each form occurs in `input` (optionally in any case), as [start, end) ranges. */
function occurrences(input: string, forms: readonly string[]): [number, number][] {
  // Lower-casing keeps each index only when no character changes length (it may outside ASCII).
  const lower = input.toLowerCase();
  const caseless = lower.length === input.length;
  const ranges: [number, number][] = [];
  for (const form of forms) {
    const variants = [{ haystack: input, needle: form }];
    if (form.length >= CASELESS_MIN) {
      if (caseless) variants.push({ haystack: lower, needle: form.toLowerCase() });
      else
        for (const needle of [form.toLowerCase(), form.toUpperCase()])
          variants.push({ haystack: input, needle });
    }
    for (const { haystack, needle } of variants) {
      // A form whose case change alters its length (ß → SS) is matched as it is only.
      if (needle.length === 0 || needle.length !== form.length) continue;
      for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) {
        ranges.push([at, at + needle.length]);
      }
    }
  }
  return ranges;
}

/**
 * Literal searches (indexOf), never one regular expression of every form: a long secret's forms
 * would make a pattern too large to compile, and its error would carry the secret.
 */
export function scrubberFor(values: readonly string[]): Scrubber {
  const forms = leakForms(values);
  const text = (input: string) => {
    if (forms.length === 0) return input;
    const ranges = occurrences(input, forms).sort((a, b) => a[0] - b[0]);
    if (ranges.length === 0) return input;
    let out = "";
    let cursor = 0;
    for (const [start, end] of ranges) {
      if (end <= cursor) continue;
      // Overlapping occurrences are redacted as one.
      if (start >= cursor) out += `${input.slice(cursor, start)}${REDACTED}`;
      cursor = end;
    }
    return out + input.slice(cursor);
  };
  const value = (input: unknown): unknown => {
    if (forms.length === 0) return input;
    if (typeof input === "string") return text(input);
    if (typeof input === "number") return text(String(input)) === String(input) ? input : REDACTED;
    if (Array.isArray(input)) return input.map(value);
    if (input !== null && typeof input === "object") {
      return Object.fromEntries(Object.entries(input).map(([k, v]) => [text(k), value(v)]));
    }
    return input;
  };
  return { text, value };
}
