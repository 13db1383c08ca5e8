// One SQLite connection on its own thread. Statements run here, never on devdb's event loop, so a
// long statement holds up only its own stream, not every namespace (sqld likewise runs programs on
// a blocking thread pool, libsql-server/src/connection/connection_core.rs). Each statement carries
// its deadline to libsql's query timeout: libsql's timer thread calls sqlite3_interrupt, SQLite
// stops the statement where it is and answers SQLITE_INTERRUPT.
//
// The thread holds at most one connection at a time (conn-host.ts hands threads out); messages are
// answered one at a time, in order. Loaded by Node itself (type stripping), so this file and what it
// imports use erasable TypeScript only.
import { parentPort } from "node:worker_threads";
import Database from "libsql";
import { type Col, encodeValue, type SqlValue, type StmtResult, valueSize } from "./values.ts";

export type ThreadRequest =
  | { op: "open"; path: string }
  | {
      op: "run";
      sql: string;
      args: SqlValue[];
      wantRows: boolean;
      isIud: boolean;
      isInsert: boolean;
      schemaVersion: number;
      queryOnly: boolean;
      timeoutMs: number;
    }
  | { op: "exec"; sql: string; queryOnly: boolean; timeoutMs: number }
  | { op: "describe"; sql: string; schemaVersion: number }
  | { op: "rollback" }
  | { op: "checkpoint" }
  | { op: "close" };

/** A failure as plain data: a SQLite error keeps its extended result code; `hrana` is devdb's own. */
export interface ThreadError {
  message: string;
  rawCode?: number;
  hrana?: string;
}

export type ThreadReply =
  | { ok: true; result: unknown; inTransaction: boolean }
  | { ok: false; error: ThreadError; inTransaction: boolean };

/** What devdb uses of libsql's better-sqlite3-like API (its own typings leave most of it `any`). */
interface Statement {
  readonly reader: boolean;
  raw(on: boolean): Statement;
  columns(): { name: string; type: string | null }[];
  iterate(...params: unknown[]): Iterable<unknown[]>;
  run(...params: unknown[]): { changes: number; lastInsertRowid: number };
  get(...params: unknown[]): unknown;
}

interface Connection {
  readonly inTransaction: boolean;
  prepare(sql: string): Statement;
  exec(sql: string, ...options: { queryTimeout: number }[]): void;
  defaultSafeIntegers(on: boolean): unknown;
  close(): void;
}

interface CachedStatement {
  stmt: Statement;
  reader: boolean;
  cols: Col[];
}

const STATEMENT_CACHE_SIZE = 64;
/** Like sqld's default --max-response-size. */
export const MAX_RESPONSE_BYTES = 10_000_000;

let db: Connection | null = null;
const statements = new Map<string, CachedStatement>();
let statementsSchemaVersion = 0;
let queryOnly = false;
let counters: Statement | undefined;

function open(path: string): void {
  if (db !== null) close();
  // No busy timeout on the handle: devdb serialises writers with its own FIFO write lock, and a
  // busy handler would only hide a writer devdb did not foresee (it retries those itself).
  db = new Database(path, {}) as unknown as Connection;
  // 64-bit integers come back as bigint, so they round-trip exactly.
  db.defaultSafeIntegers(true);
  // sqld's default durability ("relaxed"): WAL with synchronous=NORMAL survives process crashes.
  db.exec("PRAGMA synchronous=NORMAL");
  queryOnly = false;
}

function close(): void {
  statements.clear();
  counters = undefined;
  db?.close();
  db = null;
}

function connection(): Connection {
  if (db === null) throw { message: "no connection is open on this thread" } satisfies ThreadError;
  return db;
}

/** PRAGMA query_only: the last line of defence for read-only grants and READONLY transactions. */
function setQueryOnly(on: boolean): void {
  if (queryOnly === on) return;
  connection().exec(`PRAGMA query_only=${on ? 1 : 0}`);
  queryOnly = on;
}

function prepare(sql: string, schemaVersion: number): CachedStatement {
  // A schema change elsewhere can change a cached statement's columns; start afresh.
  if (schemaVersion !== statementsSchemaVersion) {
    statements.clear();
    statementsSchemaVersion = schemaVersion;
  }
  const hit = statements.get(sql);
  if (hit !== undefined) {
    statements.delete(sql);
    statements.set(sql, hit);
    return hit;
  }
  const stmt = connection().prepare(sql);
  const reader = stmt.reader;
  if (reader) stmt.raw(true);
  const cols = stmt.columns().map((c) => ({ name: c.name, decltype: c.type }));
  const entry = { stmt, reader, cols };
  if (statements.size >= STATEMENT_CACHE_SIZE) {
    statements.delete(statements.keys().next().value as string);
  }
  statements.set(sql, entry);
  return entry;
}

/** libsql's per-call query timeout (0 = none): its timer thread interrupts the statement. */
const timeout = (ms: number) => (ms > 0 ? [{ queryTimeout: ms }] : []);

function counterValues(): [number, bigint] {
  counters ??= connection().prepare("SELECT changes(), last_insert_rowid()").raw(true);
  const [changes, rowid] = counters.get([]) as [bigint, bigint];
  return [Number(changes), rowid];
}

function run(request: Extract<ThreadRequest, { op: "run" }>): StmtResult {
  setQueryOnly(request.queryOnly);
  const started = performance.now();
  const { stmt, reader, cols } = prepare(request.sql, request.schemaVersion);
  const rows: StmtResult["rows"] = [];
  let affected = 0;
  let lastInsertRowid: bigint | null = null;
  if (reader) {
    let bytes = 0;
    for (const row of stmt.iterate(request.args, ...timeout(request.timeoutMs))) {
      if (!request.wantRows) continue;
      // Keep stepping to the end even past the cap, so the statement finishes and is reset.
      for (const value of row) bytes += valueSize(value);
      if (bytes <= MAX_RESPONSE_BYTES) rows.push(row.map(encodeValue));
    }
    if (bytes > MAX_RESPONSE_BYTES) {
      throw { hrana: "RESPONSE_TOO_LARGE", message: "Response is too large" } satisfies ThreadError;
    }
    // INSERT … RETURNING and friends: ask SQLite for the counters the row loop cannot see.
    if (request.isIud) [affected, lastInsertRowid] = counterValues();
  } else {
    const outcome = stmt.run(request.args, ...timeout(request.timeoutMs));
    affected = outcome.changes;
    const rowid = outcome.lastInsertRowid;
    // libsql reports the rowid as a double; beyond 2^53 ask SQLite for the exact value.
    if (request.isInsert) {
      lastInsertRowid = Number.isSafeInteger(rowid) ? BigInt(rowid) : counterValues()[1];
    }
  }
  return {
    cols,
    rows,
    // sqld: changes() only means something after INSERT/UPDATE/DELETE, last_insert_rowid after INSERT.
    affected_row_count: request.isIud ? affected : 0,
    last_insert_rowid: request.isInsert && lastInsertRowid !== null ? lastInsertRowid.toString() : null,
    query_duration_ms: performance.now() - started,
  };
}

function handle(request: ThreadRequest): unknown {
  switch (request.op) {
    case "open":
      return open(request.path);
    case "run":
      return run(request);
    case "exec":
      setQueryOnly(request.queryOnly);
      return connection().exec(request.sql, ...timeout(request.timeoutMs));
    case "describe":
      return prepare(request.sql, request.schemaVersion).cols;
    case "rollback":
      if (connection().inTransaction) connection().exec("ROLLBACK");
      return undefined;
    case "checkpoint":
      return connection().exec("PRAGMA wal_checkpoint(TRUNCATE)");
    case "close":
      return close();
  }
}

/**
 * libsql's errors as plain data. Its statement iterator throws a generic error whose message is the
 * JSON of the SQLite error (libsql 0.6 compat.js converts the other calls' errors, not that one).
 */
function threadError(error: unknown): ThreadError {
  if (typeof error === "object" && error !== null && "message" in error && !(error instanceof Error)) {
    return error as ThreadError;
  }
  const message = error instanceof Error ? error.message : String(error);
  const rawCode = (error as { rawCode?: unknown }).rawCode;
  if (typeof rawCode === "number") return { message, rawCode };
  try {
    const data = JSON.parse(message) as { libsqlError?: boolean; message?: string; rawCode?: number };
    if (data.libsqlError && typeof data.rawCode === "number") {
      return { message: data.message ?? message, rawCode: data.rawCode };
    }
  } catch {
    // Not libsql's JSON: an error of its own.
  }
  return { message };
}

parentPort?.on("message", (request: ThreadRequest) => {
  let reply: ThreadReply;
  try {
    const result = handle(request);
    reply = { ok: true, result, inTransaction: db?.inTransaction ?? false };
  } catch (error) {
    let inTransaction = false;
    try {
      inTransaction = db?.inTransaction ?? false;
    } catch {
      // A closed or broken handle is outside any transaction.
    }
    reply = { ok: false, error: threadError(error), inTransaction };
  }
  parentPort?.postMessage(reply);
});
