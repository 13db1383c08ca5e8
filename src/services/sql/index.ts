import type { InValue } from "@libsql/client/web";
import { sha256Hex } from "../../lib/crypto";
import { type Budget, currentBudget, DEFAULT_STATEMENT_MS, deadlineIn, withBudget } from "../../lib/deadline";
import { ApiError } from "../../lib/errors";
import { commitWithAudit, recordAudit } from "../audit";
import { authorizeWorkspace } from "../core/access";
import { parseInput, type ServiceArgs } from "../core/context";
import { assertStorageRoom } from "../storage";
import { guardAdminSql, sqlSyntax } from "./guard";
import { executeSqlInput, SQL_NEEDS } from "./schemas";

export * from "./schemas";

/** Statements that can only shrink a database, allowed past its storage cap. */
const FREES_SPACE = /^\s*(DELETE|DROP)\b/i;
/** Rows an answer carries; more are left out and the answer says `truncated: true`. */
export const MAX_SQL_ROWS = 1000;
/**
 * Time an admin statement may take, below the statement deadline (DB_STATEMENT_TIMEOUT_MS, 5 s)
 * and the request's (15 s): islet answers 422 `statement_timeout` then. devdb interrupts the
 * statement inside SQLite at its own deadline (the statement deadline); libsql-server cancels a
 * request's statement when its client goes away.
 */
export const SQL_TIME_BUDGET_MS = 4_000;

/**
 * Admin SQL (architecture §5): one statement, admin users only, audited. Read-only unless `write`:
 * the guard classifies the statement from its tokens, and a read also runs in a read-only
 * transaction. What is refused outright is in `guard.ts`; the audit log's own triggers refuse
 * UPDATE and DELETE regardless.
 */
export async function executeSql({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; sql: string; args: InValue[]; write: boolean }>) {
  const input = parseInput(executeSqlInput, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, SQL_NEEDS.run);
  const { writes } = guardAdminSql(input.sql);
  if (writes && !input.write) throw writeNeeded();
  const db = await access.db();
  // Past the storage cap an admin may still free space (DELETE, DROP); any other write is refused.
  if (input.write && !FREES_SPACE.test(input.sql)) await assertStorageRoom(ctx, access.workspace, db);
  const event = {
    action: "sql.execute",
    targetType: "sql",
    details: { write: input.write, statementSha256: await sha256Hex(input.sql) },
  };
  const statement = { sql: input.sql, args: input.args };
  const { budget, tighter } = sqlBudget();
  try {
    if (input.write) {
      const [result] = await withBudget(budget, () => commitWithAudit(ctx, db, [statement], [event]));
      return shape(result);
    }
    const [result] = await withBudget(budget, () => db.batch([statement], "read"));
    await recordAudit(ctx, db, event);
    return shape(result);
  } catch (error) {
    if (error instanceof ApiError) throw error;
    const text = String(error);
    // Past the budget: islet stopped waiting, or the database interrupted the statement first. The
    // request's own deadline, when it is the nearer one, stays a 503 like anywhere else.
    const deadline = deadlineIn(error);
    if ((deadline && (deadline.what === "database" || tighter)) || /SQLITE_INTERRUPT/.test(text)) {
      throw overBudget(input.write);
    }
    if (deadline) throw error;
    if (/RESPONSE_TOO_LARGE|Response is too large/.test(text)) {
      throw new ApiError(
        "invalid_request",
        "The result is larger than 10 MB: select fewer rows or columns (LIMIT, WHERE)",
      );
    }
    if (/READONLY|readonly|attempt to write/i.test(text)) throw writeNeeded();
    const reason = /SQLite error: ([^\n]{1,200})/.exec(text)?.[1] ?? "the statement failed";
    if (/syntax error|incomplete input|unrecognized token/i.test(reason)) throw sqlSyntax(reason);
    throw new ApiError("invalid_request", `SQL error: ${reason}`);
  }
}

/**
 * A write sent as a read: `details.needs` says so to any transport (MCP's read-only `query_sql`
 * words it for its own caller).
 */
const writeNeeded = () =>
  new ApiError("forbidden", 'This statement writes; send { "write": true } to run it', {
    details: { needs: "write" },
  });

export const isWriteNeeded = (error: unknown) =>
  error instanceof ApiError && (error.details as { needs?: unknown } | undefined)?.needs === "write";

/** The request's budget narrowed to admin SQL's: the statement gets what is left, at most the budget. */
function sqlBudget(): { budget: Budget; tighter: boolean } {
  const outer = currentBudget();
  const own = Date.now() + SQL_TIME_BUDGET_MS;
  const deadlineAt = Math.min(outer?.deadlineAt ?? own, own);
  const statementMs = Math.min(outer?.statementMs ?? DEFAULT_STATEMENT_MS, SQL_TIME_BUDGET_MS);
  return { budget: { deadlineAt, statementMs }, tighter: deadlineAt === own };
}

function overBudget(write: boolean): ApiError {
  const seconds = SQL_TIME_BUDGET_MS / 1000;
  return new ApiError(
    "statement_timeout",
    `The statement did not finish within admin SQL's ${seconds} s budget: narrow it (WHERE, LIMIT, an index)` +
      (write ? "; a write may still have completed, and the audit log records it if it did" : ""),
    { details: { budgetMs: SQL_TIME_BUDGET_MS } },
  );
}

function shape(result: { columns: string[]; rows: ArrayLike<unknown>[]; rowsAffected: number } | undefined) {
  if (!result) return { columns: [], rows: [], rowsAffected: 0, truncated: false };
  const rows = Array.from(result.rows.slice(0, MAX_SQL_ROWS), (r) =>
    Array.from({ length: result.columns.length }, (_, i) => {
      const v = (r as unknown[])[i];
      return typeof v === "bigint" ? Number(v) : v instanceof ArrayBuffer ? null : v;
    }),
  );
  return {
    columns: result.columns,
    rows,
    rowsAffected: result.rowsAffected,
    truncated: result.rows.length > MAX_SQL_ROWS,
  };
}
