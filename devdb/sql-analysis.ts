// What devdb needs to know about a SQL text before running it: how many statements it holds, what
// each one needs (read or write access, the namespace's write lock), which parameters it binds,
// and whether devdb refuses it outright. The categories follow sqld's StmtKind
// (libsql-server/src/query_analysis.rs).
import { DENIED_SQL_NAMES } from "../src/lib/sql/denied.ts";
import { SqlSyntaxError, splitStatements, type Token, tokenize } from "../src/lib/sql/lexer.ts";

export type StatementKind = "read" | "write" | "txn-begin" | "txn-end" | "savepoint";

export interface StatementInfo {
  kind: StatementKind;
  /** BEGIN IMMEDIATE / EXCLUSIVE takes the write lock up front. */
  beginsWrite: boolean;
  /** BEGIN … READONLY (libsql syntax): devdb makes such a transaction really read-only. */
  beginsReadonly: boolean;
  isInsert: boolean;
  /** INSERT, UPDATE, DELETE or REPLACE: the statements whose changes() is meaningful (as in sqld). */
  isIud: boolean;
  isExplain: boolean;
  /** Changes the schema, so cached prepared statements of other connections must be dropped. */
  isDdl: boolean;
  /** Leaves state on the connection (PRAGMA, TEMP objects): the connection is not reused afterwards. */
  taintsConnection: boolean;
  /** Set when devdb never runs this statement, whatever the grant. */
  denied?: string;
}

export interface ParamLayout {
  /** Highest parameter index (sqlite3_bind_parameter_count). */
  count: number;
  /** Parameter names by 1-based index; null for anonymous `?`. */
  names: (string | null)[];
  /** Index of each named parameter, keyed by its name including the prefix character. */
  byName: Map<string, number>;
}

export interface SqlAnalysis {
  statements: StatementInfo[];
  /** Parameters of the whole text; meaningful when it holds a single statement. */
  params: ParamLayout;
  syntaxError?: string;
}

// Introspection pragmas that read (with or without an argument).
const READ_PRAGMAS = new Set([
  "table_list",
  "index_list",
  "table_info",
  "table_xinfo",
  "index_info",
  "index_xinfo",
  "foreign_key_list",
  "foreign_key_check",
  "integrity_check",
  "quick_check",
  "pragma_list",
  "compile_options",
  "database_list",
  "function_list",
  "module_list",
  "collation_list",
  "encoding",
]);
// Pragmas that may be read without an argument and set (write access) with one.
const SETTABLE_PRAGMAS = new Set([
  "foreign_keys",
  "defer_foreign_keys",
  "user_version",
  "application_id",
  "recursive_triggers",
  "legacy_alter_table",
  "case_sensitive_like",
  "ignore_check_constraints",
  "automatic_index",
  "cache_size",
  "reverse_unordered_selects",
]);
// Pragmas that may only be read.
const QUERY_PRAGMAS = new Set([
  "schema_version",
  "data_version",
  "page_count",
  "page_size",
  "freelist_count",
  "journal_mode",
  "synchronous",
  "auto_vacuum",
  "query_only",
  "busy_timeout",
]);

function baseInfo(kind: StatementKind): StatementInfo {
  return {
    kind,
    beginsWrite: false,
    beginsReadonly: false,
    isInsert: false,
    isIud: false,
    isExplain: false,
    isDdl: false,
    taintsConnection: false,
  };
}

const word = (t: Token | undefined): string | undefined => (t?.kind === "word" ? t.text : undefined);

function classifyVerb(verb: string | undefined, tokens: Token[], at: number): StatementInfo {
  switch (verb) {
    case "SELECT":
    case "VALUES":
      return baseInfo("read");
    case "INSERT":
    case "REPLACE":
      return { ...baseInfo("write"), isInsert: true, isIud: true };
    case "UPDATE":
    case "DELETE":
      return { ...baseInfo("write"), isIud: true };
    case "WITH":
      return classifyVerb(findVerbAfterWith(tokens, at + 1), tokens, tokens.length);
    case "BEGIN": {
      const rest = tokens.slice(at + 1).map((t) => t.text);
      return {
        ...baseInfo("txn-begin"),
        beginsWrite: rest[0] === "IMMEDIATE" || rest[0] === "EXCLUSIVE",
        beginsReadonly: rest.includes("READONLY"),
      };
    }
    case "COMMIT":
    case "END":
      return baseInfo("txn-end");
    case "ROLLBACK":
      // ROLLBACK TO <savepoint> keeps the transaction open.
      return baseInfo(tokens.some((t) => word(t) === "TO") ? "savepoint" : "txn-end");
    case "SAVEPOINT":
    case "RELEASE":
      return baseInfo("savepoint");
    case "CREATE": {
      const temp = ["TEMP", "TEMPORARY"].includes(word(tokens[at + 1]) ?? "");
      return { ...baseInfo("write"), isDdl: true, taintsConnection: temp };
    }
    case "DROP":
    case "ALTER":
      return { ...baseInfo("write"), isDdl: true };
    case "REINDEX":
    case "ANALYZE":
      return baseInfo("write");
    case "VACUUM":
      // VACUUM INTO writes a copy of the database to an arbitrary path.
      if (tokens.some((t) => word(t) === "INTO")) return deny("write", "VACUUM INTO is not allowed");
      return baseInfo("write");
    case "PRAGMA":
      return classifyPragma(tokens, at + 1);
    case "ATTACH":
    case "DETACH":
      // Each namespace is isolated: no statement may open another database file.
      return deny("write", `${verb} is not allowed`);
    default:
      // Every statement SQLite accepts starts with one of the words above, so SQLite will report
      // this one as a syntax error. (A read-only grant's connection is query_only besides.)
      return baseInfo("read");
  }
}

function deny(kind: StatementKind, reason: string): StatementInfo {
  return { ...baseInfo(kind), denied: reason, taintsConnection: true };
}

// After WITH [RECURSIVE] the CTE bodies sit inside parentheses; the first top-level verb is the
// statement's own.
function findVerbAfterWith(tokens: Token[], from: number): string | undefined {
  let depth = 0;
  for (let i = from; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind === "punct" && t.text === "(") depth++;
    else if (t.kind === "punct" && t.text === ")") depth--;
    else if (depth === 0 && t.kind === "word") {
      if (["SELECT", "VALUES", "INSERT", "REPLACE", "UPDATE", "DELETE"].includes(t.text)) return t.text;
    }
  }
  return undefined;
}

function classifyPragma(tokens: Token[], at: number): StatementInfo {
  let nameAt = at;
  // PRAGMA schema.name: only the connection's own databases exist, so the schema is not checked.
  if (tokens[at + 1]?.text === ".") nameAt = at + 2;
  const nameToken = tokens[nameAt];
  const name = (nameToken?.kind === "quoted" ? nameToken.text : (word(nameToken) ?? "")).toLowerCase();
  const hasValue = nameAt + 1 < tokens.length;
  // Only a pragma that sets something leaves state on the connection.
  const info = (kind: StatementKind, taints = false): StatementInfo => ({
    ...baseInfo(kind),
    taintsConnection: taints,
  });
  if (READ_PRAGMAS.has(name)) return info("read");
  if (QUERY_PRAGMAS.has(name) && !hasValue) return info("read");
  if (SETTABLE_PRAGMAS.has(name)) return hasValue ? info("write", true) : info("read");
  if (name === "optimize") return info("write");
  return deny("write", `PRAGMA ${name || "(none)"} is not allowed`);
}

// sqlite3ExprAssignVarNumber() (expr.c): `?` takes the next index, `?NNN` index NNN, and a name
// keeps the index of its first occurrence.
function layoutParams(tokens: Token[]): ParamLayout {
  const names: (string | null)[] = [];
  const byName = new Map<string, number>();
  let count = 0;
  for (const t of tokens) {
    if (t.kind !== "variable") continue;
    let index: number;
    if (t.text === "?") {
      index = ++count;
    } else if (t.text.startsWith("?")) {
      index = Number(t.text.slice(1));
      if (!Number.isSafeInteger(index) || index < 1 || index > 32766) {
        throw new SqlSyntaxError(`variable number must be between ?1 and ?32766`);
      }
      count = Math.max(count, index);
      if (!byName.has(t.text)) byName.set(t.text, index);
    } else {
      const known = byName.get(t.text);
      index = known ?? ++count;
      if (known === undefined) byName.set(t.text, index);
    }
    while (names.length < index) names.push(null);
    if (!t.text.startsWith("?") || t.text.length > 1) names[index - 1] = t.text;
  }
  return { count, names, byName };
}

// SQLite also accepts a 'string' where a table name is expected (`FROM 'fsdir'`), so every string
// counts as a name too.
function deniedName(tokens: Token[]): string | undefined {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    // Every position: SQLite takes a 'string' wherever it expects a name (`FROM ('fsdir')`).
    if (t.kind !== "word" && t.kind !== "quoted" && t.kind !== "string") continue;
    const lower = t.text.toLowerCase();
    if (DENIED_SQL_NAMES.has(lower)) return lower;
  }
  return undefined;
}

function classifyStatement(tokens: Token[]): StatementInfo {
  let at = 0;
  let isExplain = false;
  if (word(tokens[0]) === "EXPLAIN") {
    isExplain = true;
    at = word(tokens[1]) === "QUERY" && word(tokens[2]) === "PLAN" ? 3 : 1;
  }
  const info = classifyVerb(word(tokens[at]), tokens, at);
  const forbidden = deniedName(tokens);
  if (forbidden !== undefined) return deny(info.kind, `the function or table ${forbidden} is not allowed`);
  // EXPLAIN compiles a statement without running it.
  if (isExplain && info.denied === undefined) return { ...baseInfo("read"), isExplain: true };
  return info;
}

export function analyzeSql(sql: string): SqlAnalysis {
  try {
    const tokens = tokenize(sql);
    const statements = splitStatements(tokens).map(classifyStatement);
    return { statements, params: layoutParams(tokens) };
  } catch (error) {
    if (!(error instanceof SqlSyntaxError)) throw error;
    // SQLite reports its own, better message when the statement is prepared.
    return {
      statements: [baseInfo("read")],
      params: { count: 0, names: [], byName: new Map() },
      syntaxError: error.message,
    };
  }
}

const cache = new Map<string, SqlAnalysis>();
const CACHE_LIMIT = 1000;

/** analyzeSql() with a small LRU cache: clients send the same statements over and over. */
export function analyzeSqlCached(sql: string): SqlAnalysis {
  const hit = cache.get(sql);
  if (hit !== undefined) {
    cache.delete(sql);
    cache.set(sql, hit);
    return hit;
  }
  const analysis = analyzeSql(sql);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(sql, analysis);
  return analysis;
}
