// One SQLite connection, as devdb's event loop sees it: a handle on a connection thread
// (conn-host.ts) with the bookkeeping devdb keeps beside it. Every Hrana stream runs on its own
// Conn, so transactions in different streams are isolated exactly as in sqld; idle Conns are
// pooled per namespace.
import type { ConnHost } from "./conn-host.ts";
import type { ThreadError, ThreadReply, ThreadRequest } from "./conn-protocol.ts";
import { HranaError } from "./errors.ts";
import type { StatementInfo } from "./sql-analysis.ts";
import type { Col, SqlValue, StmtResult } from "./values.ts";

/** A SQLite failure from a connection thread; `rawCode` is the extended result code (errors.ts). */
export class SqliteFailure extends Error {
  readonly rawCode: number | undefined;

  constructor(error: ThreadError) {
    super(error.message);
    this.rawCode = error.rawCode;
  }
}

export class Conn {
  /** Mirrors the thread's connection after every call: only calls through this Conn change it. */
  inTransaction = false;
  /** Inside BEGIN … READONLY: writes are refused until the transaction ends. */
  readonlyTxn = false;
  /** PRAGMAs or TEMP objects changed this connection: close it instead of pooling it. */
  tainted = false;
  /**
   * SQLite returned SQLITE_BUSY/LOCKED. Such a statement may stay active and pin an old snapshot;
   * the connection is retired as soon as it is outside a transaction.
   */
  poisoned = false;
  /** Namespace write generation when this transaction's snapshot was taken (see Session). */
  snapshotGeneration: number | undefined;
  /** PRAGMA query_only for the next statement (the thread sets it when it differs). */
  private queryOnly = false;
  private closing: Promise<ConnHost | null> | null = null;

  private constructor(private readonly host: ConnHost) {}

  /** Opens `path` on a thread that holds no connection. */
  static async open(host: ConnHost, path: string, busyTimeoutMs: number): Promise<Conn> {
    const conn = new Conn(host);
    await conn.call({ op: "open", path, busyTimeoutMs });
    return conn;
  }

  private async call(request: ThreadRequest): Promise<unknown> {
    if (this.closing) throw new HranaError("STREAM_CLOSED", "The connection was closed");
    let reply: ThreadReply;
    try {
      reply = await this.host.call(request);
    } catch (error) {
      // The thread stopped (devdb stopping, or it crashed): the connection and its transaction died.
      this.inTransaction = false;
      this.poisoned = true;
      throw new SqliteFailure({ message: error instanceof Error ? error.message : String(error) });
    }
    this.inTransaction = reply.inTransaction;
    if (reply.ok) return reply.result;
    if (reply.error.hrana !== undefined) throw new HranaError(reply.error.hrana, reply.error.message);
    throw new SqliteFailure(reply.error);
  }

  /** PRAGMA query_only: the last line of defence for read-only grants and READONLY transactions. */
  setQueryOnly(on: boolean): void {
    this.queryOnly = on;
  }

  /** Columns of a statement without running it (for `describe`). */
  async describe(sql: string, schemaVersion: number): Promise<Col[]> {
    return (await this.call({ op: "describe", sql, schemaVersion })) as Col[];
  }

  /** Runs one statement, stopped by SQLite at `timeoutMs` (0: no deadline); errors propagate. */
  async run(
    sql: string,
    info: StatementInfo,
    args: SqlValue[],
    wantRows: boolean,
    schemaVersion: number,
    timeoutMs: number,
  ): Promise<StmtResult> {
    return (await this.call({
      op: "run",
      sql,
      args,
      wantRows,
      isIud: info.isIud,
      isInsert: info.isInsert,
      schemaVersion,
      queryOnly: this.queryOnly,
      timeoutMs,
    })) as StmtResult;
  }

  /** Runs several `;`-separated statements (Hrana `sequence`), together bounded by `timeoutMs`. */
  async exec(sql: string, timeoutMs: number): Promise<void> {
    await this.call({ op: "exec", sql, queryOnly: this.queryOnly, timeoutMs });
  }

  /** Ends any open transaction; used before pooling, on stream expiry and on shutdown. */
  async rollback(): Promise<void> {
    this.readonlyTxn = false;
    this.snapshotGeneration = undefined;
    // The mirror is exact (only this Conn's calls change it): no round trip to the thread for nothing.
    if (this.inTransaction) await this.call({ op: "rollback" });
  }

  async checkpoint(): Promise<void> {
    await this.call({ op: "checkpoint" });
  }

  /**
   * Closes the connection after whatever its thread is running; resolves to the thread, free for
   * another connection (null when the thread is gone).
   */
  close(): Promise<ConnHost | null> {
    this.closing ??= this.host.call({ op: "close" }).then(
      () => (this.host.alive ? this.host : null),
      () => null,
    );
    return this.closing;
  }
}
