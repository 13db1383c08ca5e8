// What admin SQL may run, decided from the statement's own tokens (the tokenizer devdb uses), never
// by asking the database to refuse: Turso's build may differ from devdb's. One statement; no
// transaction control (the audited write wraps it in its own transaction); nothing that opens other
// files or reaches outside the database; no reference at all to islet's system tables; no write
// that names a SQLite internal object (`sqlite_sequence` set to its maximum makes every AUTOINCREMENT
// insert fail, bricking the audit log).
import { ApiError } from "../../lib/errors";
import { DENIED_SQL_NAMES } from "../../lib/sql/denied";
import { SqlSyntaxError, splitStatements, type Token, tokenize } from "../../lib/sql/lexer";

const REFUSED_VERBS = new Set(["ATTACH", "DETACH", "PRAGMA", "VACUUM"]);
const TRANSACTION_VERBS = new Set(["BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"]);
const STATEMENT_VERBS = new Set(["SELECT", "VALUES", "INSERT", "REPLACE", "UPDATE", "DELETE"]);
const READ_VERBS = new Set(["SELECT", "VALUES"]);
/** Every keyword a SQLite statement can begin with (lang.html, "SQL As Understood By SQLite"). */
const SQLITE_VERBS = new Set([
  ...REFUSED_VERBS,
  ...TRANSACTION_VERBS,
  ...STATEMENT_VERBS,
  "ALTER",
  "ANALYZE",
  "CREATE",
  "DROP",
  "REINDEX",
]);

/**
 * A statement SQLite could not parse: 400 `sql_syntax`, with SQLite's own wording where it gave
 * one (issue 30: a typo was reported as "This statement writes").
 */
export const sqlSyntax = (reason: string) => new ApiError("sql_syntax", `SQL syntax error: ${reason}`);

export interface GuardedStatement {
  /** Whether the statement writes (decided here; a read also runs in a read-only transaction). */
  writes: boolean;
}

/**
 * Names a token may spell: bare words, quoted identifiers, and every 'string' — SQLite takes a
 * string wherever it expects a table name (`UPDATE OR REPLACE 'sqlite_sequence'`, `DROP TRIGGER
 * '…'`, `FROM ('…')`), so no position is safe to skip. A literal value that happens to start with
 * `_islet_` or `sqlite_` is refused too: a false refusal, never a false admission.
 */
function nameOf(tokens: Token[], i: number): string | null {
  const t = tokens[i] as Token;
  if (t.kind === "word" || t.kind === "quoted" || t.kind === "string") return t.text.toLowerCase();
  return null;
}

// After WITH [RECURSIVE] the CTE bodies sit inside parentheses; the first top-level verb is the
// statement's own.
function verbOf(tokens: Token[]): string {
  let at = 0;
  if (tokens[0]?.kind === "word" && tokens[0].text === "EXPLAIN") {
    at = tokens[1]?.text === "QUERY" && tokens[2]?.text === "PLAN" ? 3 : 1;
  }
  const first = tokens[at];
  if (first?.kind !== "word") return "";
  if (first.text !== "WITH") return first.text;
  let depth = 0;
  for (const t of tokens.slice(at + 1)) {
    if (t.kind === "punct" && t.text === "(") depth++;
    else if (t.kind === "punct" && t.text === ")") depth--;
    else if (depth === 0 && t.kind === "word" && STATEMENT_VERBS.has(t.text)) return t.text;
  }
  return "WITH";
}

export function guardAdminSql(sql: string): GuardedStatement {
  let statements: Token[][];
  try {
    statements = splitStatements(tokenize(sql));
  } catch (error) {
    if (error instanceof SqlSyntaxError) throw sqlSyntax(error.message);
    throw error;
  }
  if (statements.length === 0) throw new ApiError("invalid_request", "The statement is empty");
  if (statements.length > 1) throw new ApiError("invalid_request", "Send one statement at a time");
  const tokens = statements[0] as Token[];
  const verb = verbOf(tokens);
  // Classifying a statement SQLite would not parse as a write told the caller to send `write`.
  if (!SQLITE_VERBS.has(verb)) {
    const first = tokens[0];
    if (verb === "WITH")
      throw sqlSyntax("a WITH clause must be followed by SELECT, INSERT, UPDATE or DELETE");
    throw sqlSyntax(
      first?.kind === "word" || first?.kind === "quoted"
        ? `near "${first.text.slice(0, 40)}": not a statement`
        : "a statement must begin with a keyword such as SELECT",
    );
  }
  if (REFUSED_VERBS.has(verb)) {
    throw new ApiError("forbidden", "ATTACH, DETACH, PRAGMA and VACUUM are not allowed");
  }
  if (TRANSACTION_VERBS.has(verb)) {
    throw new ApiError(
      "invalid_request",
      "Transaction control is not allowed: each statement runs in its own",
    );
  }
  const writes = !READ_VERBS.has(verb);
  for (let i = 0; i < tokens.length; i++) {
    const name = nameOf(tokens, i);
    if (name === null) continue;
    if (DENIED_SQL_NAMES.has(name)) {
      throw new ApiError("forbidden", `The function or table ${name} is not allowed`);
    }
    if (name.startsWith("_islet_")) {
      throw new ApiError("forbidden", "System tables (_islet_*) are not reachable through SQL");
    }
    // Triggers and views are covered too: their bodies are tokens of this same statement.
    if (writes && name.startsWith("sqlite_")) {
      throw new ApiError("forbidden", `A writing statement may not name SQLite's own objects (${name})`);
    }
  }
  return { writes };
}
