// @ts-check
// One SQLite connection on its own thread. Statements run here, never on devdb's event loop, so a
// long statement holds up only its own stream, not every namespace (sqld likewise runs programs on
// a blocking thread pool, libsql-server/src/connection/connection_core.rs). Each statement carries
// its deadline to libsql's query timeout: libsql's timer thread calls sqlite3_interrupt, SQLite
// stops the statement where it is and answers SQLITE_INTERRUPT.
//
// The thread holds at most one connection at a time (conn-host.ts hands threads out) and answers
// requests (conn-protocol.ts) one at a time, in order. Plain JavaScript, so that a thread loads no
// TypeScript transformer: that alone would double what each thread costs (about 11 MB).
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { parentPort } from "node:worker_threads";
import Database from "libsql";

/** @typedef {import("./conn-protocol.ts").ThreadRequest} ThreadRequest */
/** @typedef {import("./conn-protocol.ts").ThreadError} ThreadError */
/** @typedef {import("./conn-protocol.ts").ThreadReply} ThreadReply */
/** @typedef {import("./values.ts").StmtResult} StmtResult */
/** @typedef {import("./values.ts").ProtoValue} ProtoValue */
/** @typedef {import("./values.ts").Col} Col */
/**
 * What devdb uses of libsql's better-sqlite3-like API.
 * @typedef {{ reader: boolean, raw(on: boolean): Statement, columns(): { name: string, type: string | null }[],
 *   iterate(...params: unknown[]): Iterable<unknown[]>, run(...params: unknown[]): { changes: number, lastInsertRowid: number },
 *   get(...params: unknown[]): unknown }} Statement
 * @typedef {{ inTransaction: boolean, prepare(sql: string): Statement, exec(sql: string, ...options: { queryTimeout: number }[]): void,
 *   defaultSafeIntegers(on: boolean): unknown, close(): void }} Connection
 * @typedef {{ stmt: Statement, reader: boolean, cols: Col[] }} CachedStatement
 */

const STATEMENT_CACHE_SIZE = 64;
/** Like sqld's default --max-response-size. */
const MAX_RESPONSE_BYTES = 10_000_000;

/**
 * libsql closes a connection only once every statement prepared on it is garbage collected (each
 * holds a reference to it). A connection thread allocates too little for V8 to collect on its own
 * any time soon, so closed connections (three file descriptors and a page cache each) would pile up
 * by the thousand across a fleet of namespaces. Each close runs a young-generation collection
 * (~0.1 ms; a connection's statements are usually young), and a full one follows within half a
 * second, or at once after 16 closes. Worker threads cannot take --expose-gc, so the flag is set
 * here (it is process-wide and changes nothing else).
 */
setFlagsFromString("--expose-gc");
const collectGarbage = /** @type {(options: { type: "minor" | "major" }) => void} */ (runInNewContext("gc"));
let closesSinceFull = 0;
/** @type {NodeJS.Timeout | undefined} */
let fullCollection;

function collectClosed() {
  collectGarbage({ type: "minor" });
  if (++closesSinceFull >= 16) collectFully();
  else fullCollection ??= setTimeout(collectFully, 500);
}

function collectFully() {
  clearTimeout(fullCollection);
  fullCollection = undefined;
  closesSinceFull = 0;
  collectGarbage({ type: "major" });
}

/** @type {Connection | null} */
let db = null;
/** @type {Map<string, CachedStatement>} */
const statements = new Map();
let statementsSchemaVersion = 0;
let queryOnly = false;
/** @type {Statement | undefined} */
let counters;

/** @param {string} path @param {number} busyTimeoutMs */
function open(path, busyTimeoutMs) {
  if (db !== null) close();
  // Writers are serialised by devdb's own FIFO write lock before SQLite sees them. SQLite's locks
  // still meet between connection threads while a file is opened, checkpointed or closed (the last
  // connection to close checkpoints the WAL and removes it, locking the file meanwhile): the busy
  // handler waits those out, sleeping on this thread only.
  db = /** @type {Connection} */ (/** @type {unknown} */ (new Database(path, { timeout: busyTimeoutMs })));
  // 64-bit integers come back as bigint, so they round-trip exactly.
  db.defaultSafeIntegers(true);
  // sqld's default durability ("relaxed"): WAL with synchronous=NORMAL survives process crashes.
  db.exec("PRAGMA synchronous=NORMAL");
  queryOnly = false;
}

function close() {
  if (db === null) return;
  statements.clear();
  counters = undefined;
  db.close();
  db = null;
  collectClosed();
}

/** @returns {Connection} */
function connection() {
  if (db === null) throw /** @type {ThreadError} */ ({ message: "no connection is open on this thread" });
  return db;
}

/** PRAGMA query_only: the last line of defence for read-only grants and READONLY transactions. */
/** @param {boolean} on */
function setQueryOnly(on) {
  if (queryOnly === on) return;
  connection().exec(`PRAGMA query_only=${on ? 1 : 0}`);
  queryOnly = on;
}

/** @param {string} sql @param {number} schemaVersion @returns {CachedStatement} */
function prepare(sql, schemaVersion) {
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
    statements.delete(/** @type {string} */ (statements.keys().next().value));
  }
  statements.set(sql, entry);
  return entry;
}

/** libsql's per-call query timeout (0 = none): its timer thread interrupts the statement. */
/** @param {number} ms */
const timeout = (ms) => (ms > 0 ? [{ queryTimeout: ms }] : []);

/** @returns {[number, bigint]} */
function counterValues() {
  counters ??= connection().prepare("SELECT changes(), last_insert_rowid()").raw(true);
  const [changes, rowid] = /** @type {[bigint, bigint]} */ (counters.get([]));
  return [Number(changes), rowid];
}

/** @param {unknown} value @returns {ProtoValue} */
function encodeValue(value) {
  if (value === null || value === undefined) return { type: "null" };
  if (typeof value === "bigint") return { type: "integer", value: value.toString() };
  if (typeof value === "number") return { type: "float", value };
  if (typeof value === "string") return { type: "text", value };
  if (value instanceof Uint8Array) {
    // A view over the same memory: no copy of the blob.
    return {
      type: "blob",
      base64: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64"),
    };
  }
  if (value instanceof ArrayBuffer) return { type: "blob", base64: Buffer.from(value).toString("base64") };
  throw new TypeError(`unexpected value from libsql: ${typeof value}`);
}

/** Rough size of a value on the wire, to cap responses like sqld's max_response_size. */
/** @param {unknown} value */
function valueSize(value) {
  if (typeof value === "string") return value.length;
  if (value instanceof Uint8Array) return value.byteLength;
  return 8;
}

/** @param {Extract<ThreadRequest, { op: "run" }>} request @returns {StmtResult} */
function run(request) {
  setQueryOnly(request.queryOnly);
  const started = performance.now();
  const { stmt, reader, cols } = prepare(request.sql, request.schemaVersion);
  /** @type {ProtoValue[][]} */
  const rows = [];
  let affected = 0;
  /** @type {bigint | null} */
  let lastInsertRowid = null;
  if (reader) {
    let bytes = 0;
    for (const row of stmt.iterate(request.args, ...timeout(request.timeoutMs))) {
      if (!request.wantRows) continue;
      // Keep stepping to the end even past the cap, so the statement finishes and is reset.
      for (const value of row) bytes += valueSize(value);
      if (bytes <= MAX_RESPONSE_BYTES) rows.push(row.map(encodeValue));
    }
    if (bytes > MAX_RESPONSE_BYTES) {
      throw /** @type {ThreadError} */ ({ hrana: "RESPONSE_TOO_LARGE", message: "Response is too large" });
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

/** @param {ThreadRequest} request @returns {unknown} */
function handle(request) {
  switch (request.op) {
    case "open":
      return open(request.path, request.busyTimeoutMs);
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
 * @param {unknown} error
 * @returns {ThreadError}
 */
function threadError(error) {
  if (typeof error === "object" && error !== null && "message" in error && !(error instanceof Error)) {
    return /** @type {ThreadError} */ (error);
  }
  const message = error instanceof Error ? error.message : String(error);
  const rawCode = /** @type {{ rawCode?: unknown }} */ (error).rawCode;
  if (typeof rawCode === "number") return { message, rawCode };
  try {
    const data = JSON.parse(message);
    if (data?.libsqlError && typeof data.rawCode === "number") {
      return { message: data.message ?? message, rawCode: data.rawCode };
    }
  } catch {
    // Not libsql's JSON: an error of its own.
  }
  return { message };
}

/** @param {ThreadRequest} request */
function onRequest(request) {
  /** @type {ThreadReply} */
  let reply;
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
}

parentPort?.on("message", onRequest);
