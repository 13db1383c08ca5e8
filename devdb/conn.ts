// One SQLite connection (a `libsql` Database handle) with a prepared-statement cache. Every Hrana
// stream runs on its own Conn, so transactions in different streams are isolated exactly as in
// sqld; idle Conns are pooled per namespace.
import Database from "libsql";
import { HranaError } from "./errors.ts";
import { type Col, encodeValue, type SqlValue, type StmtResult, valueSize } from "./protocol.ts";
import type { StatementInfo } from "./sql-analysis.ts";

type Statement = Database.Statement;

interface CachedStatement {
  stmt: Statement;
  reader: boolean;
  cols: Col[];
}

const STATEMENT_CACHE_SIZE = 64;
/** Like sqld's default --max-response-size. */
export const MAX_RESPONSE_BYTES = 10_000_000;

export class Conn {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, CachedStatement>();
  private statementsSchemaVersion = 0;
  private queryOnly = false;
  private stats: Statement | undefined;
  /** Inside BEGIN … READONLY: writes are refused until the transaction ends. */
  readonlyTxn = false;
  /** PRAGMAs or TEMP objects changed this connection: close it instead of pooling it. */
  tainted = false;
  /**
   * SQLite returned SQLITE_BUSY/LOCKED. Such a statement stays active (it could be retried) and the
   * libsql package offers no reset: it pins an old snapshot and defers autocommit commits on this
   * connection. The connection is retired as soon as it is outside a transaction.
   */
  poisoned = false;
  /** Namespace write generation when this transaction's snapshot was taken (see Session). */
  snapshotGeneration: number | undefined;

  constructor(path: string) {
    // No busy timeout on the handle: SQLite's busy handler sleeps on the only JS thread, which would
    // stall every other stream. Writers are serialised by the namespace's WriteLock instead.
    this.db = new Database(path);
    // 64-bit integers come back as bigint, so they round-trip exactly.
    this.db.defaultSafeIntegers(true);
    // sqld's default durability ("relaxed"): WAL with synchronous=NORMAL survives process crashes.
    this.db.exec("PRAGMA synchronous=NORMAL");
  }

  get inTransaction(): boolean {
    return this.db.inTransaction;
  }

  /** PRAGMA query_only: the last line of defence for read-only grants and READONLY transactions. */
  setQueryOnly(on: boolean): void {
    if (this.queryOnly === on) return;
    this.db.exec(`PRAGMA query_only=${on ? 1 : 0}`);
    this.queryOnly = on;
  }

  private prepare(sql: string, schemaVersion: number): CachedStatement {
    // A schema change elsewhere can change a cached statement's columns; start afresh.
    if (schemaVersion !== this.statementsSchemaVersion) {
      this.statements.clear();
      this.statementsSchemaVersion = schemaVersion;
    }
    const hit = this.statements.get(sql);
    if (hit !== undefined) {
      this.statements.delete(sql);
      this.statements.set(sql, hit);
      return hit;
    }
    const stmt = this.db.prepare(sql);
    const reader = stmt.reader;
    if (reader) stmt.raw(true);
    const cols = stmt.columns().map((c) => ({ name: c.name, decltype: c.type }));
    const entry = { stmt, reader, cols };
    if (this.statements.size >= STATEMENT_CACHE_SIZE) {
      this.statements.delete(this.statements.keys().next().value as string);
    }
    this.statements.set(sql, entry);
    return entry;
  }

  /** Columns of a statement without running it (for `describe`). */
  describe(sql: string, schemaVersion: number): Col[] {
    return this.prepare(sql, schemaVersion).cols;
  }

  /** Runs one statement; libsql errors propagate for the caller to map. */
  run(
    sql: string,
    info: StatementInfo,
    args: SqlValue[],
    wantRows: boolean,
    schemaVersion: number,
  ): StmtResult {
    const started = performance.now();
    const { stmt, reader, cols } = this.prepare(sql, schemaVersion);
    const rows: StmtResult["rows"] = [];
    let affected = 0;
    let lastInsertRowid: bigint | null = null;
    if (reader) {
      let bytes = 0;
      for (const row of stmt.iterate(args) as Iterable<unknown[]>) {
        if (!wantRows) continue;
        // Keep stepping to the end even past the cap, so the statement finishes and is reset.
        for (const value of row) bytes += valueSize(value);
        if (bytes <= MAX_RESPONSE_BYTES) rows.push(row.map(encodeValue));
      }
      if (bytes > MAX_RESPONSE_BYTES) throw new HranaError("RESPONSE_TOO_LARGE", "Response is too large");
      // INSERT … RETURNING and friends: ask SQLite for the counters the row loop cannot see.
      if (info.isIud) [affected, lastInsertRowid] = this.counters();
    } else {
      const outcome = stmt.run(args);
      affected = outcome.changes;
      const rowid = outcome.lastInsertRowid;
      // libsql reports the rowid as a double; beyond 2^53 ask SQLite for the exact value.
      if (info.isInsert) lastInsertRowid = Number.isSafeInteger(rowid) ? BigInt(rowid) : this.counters()[1];
    }
    return {
      cols,
      rows,
      // sqld: changes() only means something after INSERT/UPDATE/DELETE, last_insert_rowid after INSERT.
      affected_row_count: info.isIud ? affected : 0,
      last_insert_rowid: info.isInsert && lastInsertRowid !== null ? lastInsertRowid.toString() : null,
      query_duration_ms: performance.now() - started,
    };
  }

  private counters(): [number, bigint] {
    this.stats ??= this.db.prepare("SELECT changes(), last_insert_rowid()").raw(true);
    const [changes, rowid] = this.stats.get([]) as [bigint, bigint];
    return [Number(changes), rowid];
  }

  /** Runs several `;`-separated statements (Hrana `sequence`). */
  exec(sql: string): void {
    this.db.exec(sql);
  }

  /** Ends any open transaction; used before pooling, on stream expiry and on shutdown. */
  rollback(): void {
    if (this.db.inTransaction) this.db.exec("ROLLBACK");
    this.readonlyTxn = false;
    this.snapshotGeneration = undefined;
  }

  checkpoint(): void {
    this.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }

  close(): void {
    this.statements.clear();
    this.stats = undefined;
    this.db.close();
  }
}
