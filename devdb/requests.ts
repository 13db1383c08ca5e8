// Checks on Hrana requests before they run: SQL references, batch conditions, the grant, and
// how arguments bind to a statement's parameters.
import { HranaError, HttpError } from "./errors.ts";
import type { Batch, BatchCond, SqlValue, Stmt, StreamRequest } from "./protocol.ts";
import { analyzeSqlCached, type ParamLayout } from "./sql-analysis.ts";
import type { Stream } from "./streams.ts";

export interface RequestContext {
  version: 2 | 3;
  /** The request's grant may write to the stream's namespace. */
  canWrite: boolean;
  busyTimeoutMs: number;
  /** Each statement (a `sequence` as a whole) is interrupted by SQLite after this long; 0: never. */
  statementTimeoutMs: number;
}

// libsql-server/src/hrana/http/request.rs: MAX_SQL_COUNT, MAX_STORED_SQL_SIZE.
export const MAX_STORED_SQLS = 50;
export const MAX_STORED_SQL_BYTES = 5000;
const protocolError = (message: string) => new HttpError(400, "HRANA_PROTO_ERROR", message);

export function resolveSql(
  sql: string | null | undefined,
  sqlId: number | null | undefined,
  sqls: Map<number, string>,
) {
  const hasSql = sql !== undefined && sql !== null;
  const hasId = sqlId !== undefined && sqlId !== null;
  if (hasSql === hasId) throw protocolError("Either `sql` or `sql_id` are required, but not both");
  if (hasSql) return sql;
  const stored = sqls.get(sqlId as number);
  if (stored === undefined) throw protocolError(`SQL text ${sqlId} not found`);
  return stored;
}

function checkCond(cond: BatchCond, step: number, version: number): void {
  switch (cond.type) {
    case "ok":
    case "error":
      if (cond.step >= step) throw protocolError("Invalid reference to step in a batch condition");
      return;
    case "not":
      checkCond(cond.cond, step, version);
      return;
    case "and":
    case "or":
      for (const c of cond.conds) checkCond(c, step, version);
      return;
    case "is_autocommit":
      if (version < 3)
        throw protocolError("The `is_autocommit` condition is only supported in hrana3 and higher");
  }
}

/**
 * Checks a whole pipeline before anything runs: SQL references resolve, conditions point
 * backwards, and the grant covers every statement. sqld checks each program the same way
 * (connection/program.rs, check_program_auth) and answers 403 when a write is not allowed.
 */
export function planRequests(requests: StreamRequest[], stream: Stream, ctx: RequestContext): void {
  const sqls = new Map(stream.sqls);
  let closed = false;
  const needsAccess = (sql: string) => {
    const analysis = analyzeSqlCached(sql);
    if (!ctx.canWrite && analysis.statements.some((s) => s.kind === "write")) {
      throw new HttpError(
        403,
        "FORBIDDEN",
        `Current session does not have Write permission to namespace \`${stream.namespace.name}\``,
      );
    }
  };
  for (const request of requests) {
    if (closed && request.type !== "close")
      throw new HttpError(400, "STREAM_CLOSED", "Stream for this baton was closed");
    switch (request.type) {
      case "close":
        closed = true;
        break;
      case "execute":
        needsAccess(resolveSql(request.stmt.sql, request.stmt.sql_id, sqls));
        break;
      case "batch":
        planBatch(request.batch, sqls, ctx, needsAccess);
        break;
      case "sequence":
        needsAccess(resolveSql(request.sql, request.sql_id, sqls));
        break;
      case "describe":
        resolveSql(request.sql, request.sql_id, sqls);
        break;
      case "store_sql":
        if (sqls.has(request.sql_id)) throw protocolError(`SQL text ${request.sql_id} already exists`);
        if (sqls.size < MAX_STORED_SQLS && Buffer.byteLength(request.sql) <= MAX_STORED_SQL_BYTES) {
          sqls.set(request.sql_id, request.sql);
        }
        break;
      case "close_sql":
        sqls.delete(request.sql_id);
        break;
      case "get_autocommit":
        if (ctx.version < 3)
          throw protocolError("The `get_autocommit` request is only supported in hrana3 and higher");
    }
  }
}

function planBatch(
  batch: Batch,
  sqls: Map<number, string>,
  ctx: RequestContext,
  needsAccess: (sql: string) => void,
): void {
  batch.steps.forEach((step, index) => {
    if (step.condition) checkCond(step.condition, index, ctx.version);
    needsAccess(resolveSql(step.stmt.sql, step.stmt.sql_id, sqls));
  });
}

function resolveName(layout: ParamLayout, name: string): number | undefined {
  const exact = layout.byName.get(name);
  if (exact !== undefined || /^[:@$#?]/.test(name)) return exact;
  // HRANA_3_SPEC.md, "Statements": without a prefix the server guesses it.
  for (const prefix of [":", "@", "$"]) {
    const guessed = layout.byName.get(prefix + name);
    if (guessed !== undefined) return guessed;
  }
  return undefined;
}

const argsInvalid = (detail: string) =>
  new HranaError("ARGS_INVALID", `Arguments do not match SQL parameters: ${detail}`);

/** Lays the Hrana arguments out by parameter index; every parameter must get exactly one value. */
export function bindArgs(layout: ParamLayout, stmt: Stmt): SqlValue[] {
  const positional = stmt.args ?? [];
  const named = stmt.named_args ?? [];
  if (positional.length > 0 && named.length > 0) {
    throw new HranaError(
      "ARGS_BOTH_POSITIONAL_AND_NAMED",
      "Specifying both positional and named arguments is not supported",
    );
  }
  if (named.length === 0) {
    if (positional.length !== layout.count) {
      throw argsInvalid(`the statement has ${layout.count} parameters, got ${positional.length} arguments`);
    }
    return positional;
  }
  const values: (SqlValue | undefined)[] = new Array(layout.count).fill(undefined);
  for (const { name, value } of named) {
    const index = resolveName(layout, name);
    if (index === undefined) throw argsInvalid(`the statement has no parameter named ${name}`);
    values[index - 1] = value;
  }
  const missing = values.indexOf(undefined);
  if (missing !== -1)
    throw argsInvalid(`no value for parameter ${layout.names[missing] ?? `?${missing + 1}`}`);
  return values as SqlValue[];
}
