// Shared by devdb (statement analysis) and admin SQL (src/services/sql/guard.ts): one tokenizer.
// A tokenizer for SQLite's SQL dialect, just deep enough to split statements, find bound
// parameters and read the leading keywords. It mirrors sqlite3GetToken() (tokenize.c): comments,
// '…' strings, "…"/`…`/[…] identifiers, X'…' blobs, numbers and the variable forms
// ?NNN, :name, @name, $name and #name (with the TCL `::` and `(…)` suffixes).

export type TokenKind = "word" | "quoted" | "string" | "number" | "variable" | "punct" | "semicolon";

export interface Token {
  kind: TokenKind;
  /** Upper-cased bare words, unquoted identifiers, string contents, raw text otherwise. */
  text: string;
}

// IdChar() in SQLite: ASCII alphanumerics, '_', '$' and every byte of a multi-byte UTF-8 character.
const isIdChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36 || c >= 0x80;
const isIdStart = (c: number): boolean =>
  (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 0x80;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 12 || c === 13;

export class SqlSyntaxError extends Error {}

/** Splits `sql` into tokens; whitespace and comments are dropped. */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    if (isSpace(c)) {
      i++;
    } else if (c === 45 && sql.charCodeAt(i + 1) === 45) {
      const end = sql.indexOf("\n", i + 2);
      i = end === -1 ? n : end + 1;
    } else if (c === 47 && sql.charCodeAt(i + 1) === 42) {
      // An unterminated /* comment runs to the end of the input, as in SQLite.
      const end = sql.indexOf("*/", i + 2);
      i = end === -1 ? n : end + 2;
    } else if (c === 39 || c === 34 || c === 96) {
      const { text, next } = readQuoted(sql, i, sql[i] as string);
      tokens.push({ kind: c === 39 ? "string" : "quoted", text });
      i = next;
    } else if (c === 91) {
      const end = sql.indexOf("]", i + 1);
      if (end === -1) throw new SqlSyntaxError("unterminated [identifier]");
      tokens.push({ kind: "quoted", text: sql.slice(i + 1, end) });
      i = end + 1;
    } else if ((c === 120 || c === 88) && sql.charCodeAt(i + 1) === 39) {
      const { next } = readQuoted(sql, i + 1, "'");
      tokens.push({ kind: "string", text: "" });
      i = next;
    } else if (isDigit(c) || (c === 46 && isDigit(sql.charCodeAt(i + 1)))) {
      i = readNumber(sql, i);
      tokens.push({ kind: "number", text: "" });
    } else if (c === 63) {
      let j = i + 1;
      while (j < n && isDigit(sql.charCodeAt(j))) j++;
      tokens.push({ kind: "variable", text: sql.slice(i, j) });
      i = j;
    } else if (c === 58 || c === 64 || c === 36 || c === 35) {
      const j = readNamedVariable(sql, i);
      if (j === i + 1) {
        tokens.push({ kind: "punct", text: sql[i] as string });
        i++;
      } else {
        tokens.push({ kind: "variable", text: sql.slice(i, j) });
        i = j;
      }
    } else if (isIdStart(c)) {
      let j = i + 1;
      while (j < n && isIdChar(sql.charCodeAt(j))) j++;
      tokens.push({ kind: "word", text: sql.slice(i, j).toUpperCase() });
      i = j;
    } else if (c === 59) {
      tokens.push({ kind: "semicolon", text: ";" });
      i++;
    } else {
      tokens.push({ kind: "punct", text: sql[i] as string });
      i++;
    }
  }
  return tokens;
}

function readQuoted(sql: string, start: number, quote: string): { text: string; next: number } {
  let text = "";
  let i = start + 1;
  for (;;) {
    const end = sql.indexOf(quote, i);
    if (end === -1) throw new SqlSyntaxError(`unterminated ${quote}…${quote} token`);
    text += sql.slice(i, end);
    // A doubled quote is an escaped quote character.
    if (sql[end + 1] === quote) {
      text += quote;
      i = end + 2;
    } else {
      return { text, next: end + 1 };
    }
  }
}

function readNumber(sql: string, start: number): number {
  let i = start;
  for (;;) {
    const c = sql.charCodeAt(i);
    if (isIdChar(c) || c === 46) {
      i++;
    } else if ((c === 43 || c === 45) && /[eE]/.test(sql[i - 1] ?? "") && !/^0[xX]/.test(sql.slice(start))) {
      i++;
    } else {
      return i;
    }
  }
}

// tokenize.c, case CC_VARALPHA / CC_DOLLAR.
function readNamedVariable(sql: string, start: number): number {
  let i = start + 1;
  let n = 0;
  for (;;) {
    const c = sql.charCodeAt(i);
    if (Number.isNaN(c)) return i;
    if (isIdChar(c)) {
      n++;
      i++;
    } else if (c === 40 && n > 0) {
      do i++;
      while (i < sql.length && !isSpace(sql.charCodeAt(i)) && sql[i] !== ")");
      if (sql[i] !== ")") throw new SqlSyntaxError("unterminated TCL variable suffix");
      return i + 1;
    } else if (c === 58 && sql.charCodeAt(i + 1) === 58) {
      i += 2;
    } else {
      return n === 0 ? start + 1 : i;
    }
  }
}

/**
 * Groups tokens into statements at top-level semicolons. Inside CREATE TRIGGER … BEGIN … END the
 * semicolons end body statements, not the trigger; CASE … END pairs are counted so that a CASE
 * expression closing right before a semicolon does not end the trigger early.
 */
export function splitStatements(tokens: Token[]): Token[][] {
  const statements: Token[][] = [];
  let current: Token[] = [];
  let inTrigger = false;
  let inBody = false;
  let caseDepth = 0;
  let bodyEnded = false;
  for (const token of tokens) {
    if (token.kind === "semicolon" && (!inBody || bodyEnded)) {
      if (current.length > 0) statements.push(current);
      current = [];
      inTrigger = inBody = bodyEnded = false;
      caseDepth = 0;
      continue;
    }
    current.push(token);
    if (token.kind !== "word") continue;
    if (current.length <= 4 && token.text === "TRIGGER" && current[0]?.text === "CREATE") inTrigger = true;
    else if (inTrigger && !inBody && token.text === "BEGIN") inBody = true;
    else if (inBody && token.text === "CASE") caseDepth++;
    else if (inBody && token.text === "END") {
      if (caseDepth > 0) caseDepth--;
      else bodyEnded = true;
    }
  }
  if (current.length > 0) statements.push(current);
  return statements;
}
