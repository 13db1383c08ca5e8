// Runs Hrana stream requests on a stream's connection (HRANA_3_SPEC.md, "Requests", "Batches").
// Statement failures become Hrana errors; protocol and permission failures (requests.ts) are
// HttpErrors that end the HTTP request, as in sqld.
import type { Conn } from "./conn.ts";
import { busyError, extendedCode, HranaError, hranaErrorFromSqlite } from "./errors.ts";
import type { Batch, BatchCond, ProtoError, Stmt, StmtResult, StreamRequest } from "./protocol.ts";
import {
  bindArgs,
  MAX_STORED_SQL_BYTES,
  MAX_STORED_SQLS,
  type RequestContext,
  resolveSql,
} from "./requests.ts";
import { analyzeSqlCached, type SqlAnalysis, type StatementInfo } from "./sql-analysis.ts";
import type { Stream } from "./streams.ts";

export type StreamResponse = { type: StreamRequest["type"] } & Record<string, unknown>;
export type StreamResult = { type: "ok"; response: StreamResponse } | { type: "error"; error: ProtoError };

export interface BatchResult {
  step_results: (StmtResult | null)[];
  step_errors: (ProtoError | null)[];
}

/** Observer for cursors: sees each executed step as it finishes. */
export type StepObserver = (step: number, outcome: StmtResult | ProtoError) => void;

const BUSY_CODES = new Set([5, 261]); // SQLITE_BUSY, SQLITE_BUSY_RECOVERY
const POISON_CODES = new Set([5, 6]); // primary SQLITE_BUSY, SQLITE_LOCKED
const SQLITE_INTERRUPT = 9;

const protoError = (e: HranaError): ProtoError => ({ message: e.message, code: e.code });

function single(analysis: SqlAnalysis): StatementInfo {
  if (analysis.syntaxError !== undefined) {
    throw new HranaError("SQL_PARSE_ERROR", `SQL string could not be parsed: ${analysis.syntaxError}`);
  }
  const [info, extra] = analysis.statements;
  if (info === undefined)
    throw new HranaError("SQL_NO_STATEMENT", "SQL string does not contain any statement");
  if (extra !== undefined)
    throw new HranaError("SQL_MANY_STATEMENTS", "SQL string contains more than one statement");
  return info;
}

function checkAllowed(statements: StatementInfo[]): void {
  const denied = statements.find((s) => s.denied !== undefined);
  if (denied) throw new HranaError("SQLITE_AUTH", `not authorized: ${denied.denied} in devdb`);
}

const needsWriteLock = (info: StatementInfo) => info.kind === "write" || info.beginsWrite;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Executes the requests of one stream; one instance per HTTP request. */
export class Session {
  constructor(
    private readonly stream: Stream,
    private readonly ctx: RequestContext,
  ) {}

  async handle(request: StreamRequest): Promise<StreamResult> {
    try {
      return { type: "ok", response: await this.dispatch(request) };
    } catch (error) {
      if (error instanceof HranaError) return { type: "error", error: protoError(error) };
      throw error;
    }
  }

  private async dispatch(request: StreamRequest): Promise<StreamResponse> {
    const sqls = this.stream.sqls;
    if (request.type !== "close") this.checkNotAborted();
    switch (request.type) {
      case "close":
        this.stream.destroy();
        return { type: "close" };
      case "execute":
        return { type: "execute", result: await this.execute(request.stmt) };
      case "batch":
        return { type: "batch", result: await this.batch(request.batch) };
      case "sequence":
        await this.sequence(resolveSql(request.sql, request.sql_id, sqls));
        return { type: "sequence" };
      case "describe":
        return {
          type: "describe",
          result: await this.describe(resolveSql(request.sql, request.sql_id, sqls)),
        };
      case "store_sql":
        if (sqls.size >= MAX_STORED_SQLS) {
          throw new HranaError(
            "SQL_STORE_TOO_MANY",
            `The server already stores ${sqls.size} SQL texts, it cannot store more`,
          );
        }
        if (Buffer.byteLength(request.sql) > MAX_STORED_SQL_BYTES) {
          throw new HranaError("SQL_STORE_TOO_LARGE", "The statement is too large to be stored");
        }
        sqls.set(request.sql_id, request.sql);
        return { type: "store_sql" };
      case "close_sql":
        sqls.delete(request.sql_id);
        return { type: "close_sql" };
      case "get_autocommit":
        return { type: "get_autocommit", is_autocommit: this.stream.isAutocommit };
    }
  }

  async execute(stmt: Stmt): Promise<StmtResult> {
    this.checkNotAborted();
    const sql = resolveSql(stmt.sql, stmt.sql_id, this.stream.sqls);
    const analysis = analyzeSqlCached(sql);
    const info = single(analysis);
    checkAllowed([info]);
    const args = bindArgs(analysis.params, stmt);
    const conn = await this.prepareConn([info]);
    const schemaVersion = this.stream.namespace.schemaVersion;
    const inTransaction = conn.inTransaction;
    let failure: unknown;
    try {
      return await this.retryWhileBusy(() =>
        conn.run(sql, info, args, stmt.want_rows ?? true, schemaVersion, this.ctx.statementTimeoutMs),
      );
    } catch (error) {
      failure = error;
      throw await this.failed(conn, error, inTransaction);
    } finally {
      this.afterStatements(conn, [info], failure);
    }
  }

  async batch(batch: Batch, observe?: StepObserver): Promise<BatchResult> {
    const outcomes: ("ok" | "error" | "skipped")[] = [];
    const result: BatchResult = { step_results: [], step_errors: [] };
    for (const [index, step] of batch.steps.entries()) {
      const enabled = step.condition ? this.evaluate(step.condition, outcomes) : true;
      let stepResult: StmtResult | null = null;
      let stepError: ProtoError | null = null;
      if (enabled) {
        try {
          stepResult = await this.execute(step.stmt);
        } catch (error) {
          if (!(error instanceof HranaError)) throw error;
          stepError = protoError(error);
        }
        observe?.(index, stepResult ?? (stepError as ProtoError));
      }
      outcomes.push(stepResult ? "ok" : stepError ? "error" : "skipped");
      result.step_results.push(stepResult);
      result.step_errors.push(stepError);
    }
    return result;
  }

  private evaluate(cond: BatchCond, outcomes: string[]): boolean {
    switch (cond.type) {
      case "ok":
        return outcomes[cond.step] === "ok";
      case "error":
        return outcomes[cond.step] === "error";
      case "not":
        return !this.evaluate(cond.cond, outcomes);
      case "and":
        return cond.conds.every((c) => this.evaluate(c, outcomes));
      case "or":
        return cond.conds.some((c) => this.evaluate(c, outcomes));
      case "is_autocommit":
        return this.stream.isAutocommit;
    }
  }

  private async sequence(sql: string): Promise<void> {
    const analysis = analyzeSqlCached(sql);
    // Reports SQL_PARSE_ERROR; a sequence may otherwise hold any number of statements.
    if (analysis.syntaxError !== undefined) single(analysis);
    checkAllowed(analysis.statements);
    const conn = await this.prepareConn(analysis.statements);
    const inTransaction = conn.inTransaction;
    let failure: unknown;
    try {
      // No retry here: a sequence may have run some statements before SQLite reported busy.
      await conn.exec(sql, this.ctx.statementTimeoutMs);
    } catch (error) {
      failure = error;
      throw await this.failed(conn, error, inTransaction);
    } finally {
      this.afterStatements(conn, analysis.statements, failure);
    }
  }

  private async describe(sql: string) {
    const analysis = analyzeSqlCached(sql);
    const info = single(analysis);
    const conn = await this.stream.conn();
    let cols: { name: string | null; decltype: string | null }[];
    try {
      cols = await conn.describe(sql, this.stream.namespace.schemaVersion);
    } catch (error) {
      throw hranaErrorFromSqlite(error);
    }
    return {
      params: analysis.params.names.map((name) => ({ name })),
      cols: cols.map((c) => ({ name: c.name ?? "", decltype: c.decltype })),
      is_explain: info.isExplain,
      is_readonly: info.kind !== "write",
    };
  }

  /**
   * Waits for the namespace's write lock when a statement needs it, then sets query_only.
   *
   * A deferred transaction that read before another writer committed cannot write any more: SQLite
   * would answer SQLITE_BUSY_SNAPSHOT and leave the statement half-run. devdb sees that coming
   * through the namespace's write generation and answers SQLITE_BUSY without running it.
   */
  private async prepareConn(statements: StatementInfo[]): Promise<Conn> {
    let conn = await this.stream.conn();
    const namespace = this.stream.namespace;
    if (statements.some(needsWriteLock) && !namespace.lock.holds(conn)) {
      if (!(await namespace.lock.acquire(conn, this.ctx.busyTimeoutMs))) throw busyError();
      // The stream may have been closed while waiting (namespace deleted, server stopping).
      conn = await this.stream.conn();
      if (conn.inTransaction && conn.snapshotGeneration !== undefined) {
        if (conn.snapshotGeneration !== namespace.writeGeneration) {
          // Nothing was written: hand the lock on without counting a commit.
          namespace.lock.release(conn);
          throw new HranaError(
            "SQLITE_BUSY",
            "SQLite error: database is locked (another transaction committed after this one started reading)",
          );
        }
      }
    }
    if (conn.inTransaction) conn.snapshotGeneration ??= namespace.writeGeneration;
    // BEGIN itself changes no data; under query_only SQLite would refuse BEGIN IMMEDIATE, which
    // sqld allows with read access.
    const onlyBegins = statements.every((s) => s.kind === "txn-begin");
    conn.setQueryOnly((!this.ctx.canWrite || conn.readonlyTxn) && !onlyBegins);
    return conn;
  }

  /**
   * A statement failed. One that ran past its deadline was interrupted by SQLite (conn-thread.mjs);
   * inside a transaction, the transaction is rolled back and the stream refuses everything after
   * (SQLite itself rolls back a transaction whose interrupted statement was a write, so the client
   * could otherwise not know what survived). The namespace's write lock is free again at once.
   */
  private async failed(conn: Conn, error: unknown, inTransaction: boolean): Promise<HranaError> {
    const code = extendedCode(error);
    if (code === undefined || (code & 0xff) !== SQLITE_INTERRUPT) return hranaErrorFromSqlite(error);
    const deadline = `ran past devdb's ${this.ctx.statementTimeoutMs} ms statement deadline`;
    if (!inTransaction && !conn.inTransaction) {
      return new HranaError("SQLITE_INTERRUPT", `SQLite error: interrupted: the statement ${deadline}`);
    }
    try {
      await conn.rollback();
    } catch {
      conn.poisoned = true;
    }
    const rolledBack = "its transaction was rolled back and this stream runs nothing more";
    this.stream.abortedBy = `Not run: an earlier statement on this stream ${deadline}; ${rolledBack}`;
    return new HranaError(
      "SQLITE_INTERRUPT",
      `SQLite error: interrupted: the statement ${deadline}; ${rolledBack}`,
    );
  }

  private checkNotAborted(): void {
    if (this.stream.abortedBy !== null) throw new HranaError("SQLITE_INTERRUPT", this.stream.abortedBy);
  }

  private afterStatements(conn: Conn, statements: StatementInfo[], error?: unknown): void {
    const namespace = this.stream.namespace;
    const code = extendedCode(error);
    if (code !== undefined && POISON_CODES.has(code & 0xff)) conn.poisoned = true;
    if (statements.some((s) => s.isDdl)) namespace.schemaVersion++;
    if (statements.some((s) => s.taintsConnection)) conn.tainted = true;
    if (!conn.inTransaction) {
      conn.readonlyTxn = false;
      conn.snapshotGeneration = undefined;
      namespace.releaseLock(conn);
    } else if (statements.some((s) => s.beginsReadonly)) {
      conn.readonlyTxn = true;
    }
  }

  /**
   * Another process (or a write devdb did not foresee) may hold SQLite's lock: retry a single
   * statement, which SQLite keeps atomic, until the busy timeout.
   */
  private async retryWhileBusy<T>(run: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.ctx.busyTimeoutMs;
    for (;;) {
      try {
        return await run();
      } catch (error) {
        const code = extendedCode(error);
        if (code === undefined || !BUSY_CODES.has(code) || Date.now() >= deadline) throw error;
        await sleep(Math.min(10, deadline - Date.now()));
      }
    }
  }
}
