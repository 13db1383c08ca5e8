import type { InValue } from "@libsql/client/web";
import { sha256Hex } from "../../lib/crypto";
import { ApiError } from "../../lib/errors";
import { authorizeWorkspace } from "../access";
import { commitWithAudit, recordAudit } from "../audit";
import { parseInput, type ServiceArgs } from "../context";
import { guardAdminSql } from "./guard";
import { executeSqlInput } from "./schemas";

export * from "./schemas";
export const MAX_SQL_ROWS = 1000;

/**
 * Admin SQL (DESIGN §5): one statement, admin users only, audited. Read-only unless `write`:
 * the guard classifies the statement from its tokens, and a read also runs in a read-only
 * transaction. What is refused outright is in `guard.ts`; the audit log's own triggers refuse
 * UPDATE and DELETE regardless.
 */
export async function executeSql({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; sql: string; args: InValue[]; write: boolean }>) {
  const input = parseInput(executeSqlInput, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, {
    role: "admin",
    scope: "schema:write",
    usersOnly: true,
  });
  const { writes } = guardAdminSql(input.sql);
  if (writes && !input.write) {
    throw new ApiError("forbidden", 'This statement writes; send { "write": true } to run it');
  }
  const db = await access.db();
  const event = {
    action: "sql.execute",
    targetType: "sql",
    details: { write: input.write, statementSha256: await sha256Hex(input.sql) },
  };
  const statement = { sql: input.sql, args: input.args };
  try {
    if (input.write) {
      const [result] = await commitWithAudit(ctx, db, [statement], [event]);
      return shape(result);
    }
    const [result] = await db.batch([statement], "read");
    await recordAudit(ctx, db, event);
    return shape(result);
  } catch (error) {
    if (error instanceof ApiError) throw error;
    const text = String(error);
    if (/READONLY|readonly|attempt to write/i.test(text)) {
      throw new ApiError("forbidden", 'This statement writes; send { "write": true } to run it');
    }
    const reason = /SQLite error: ([^\n]{1,200})/.exec(text)?.[1] ?? "the statement failed";
    throw new ApiError("invalid_request", `SQL error: ${reason}`);
  }
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
