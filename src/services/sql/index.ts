import type { InValue } from "@libsql/client/web";
import { sha256Hex } from "../../lib/crypto";
import { ApiError } from "../../lib/errors";
import type { ServiceContext } from "../../types";
import { authorizeWorkspace } from "../access";
import { commitWithAudit, recordAudit } from "../audit";

export const MAX_SQL_ROWS = 1000;

/** Strips comments and string/identifier literals, so checks see only the statement's own words. */
function skeleton(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, " ")
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    .replace(/'(?:[^']|'')*'/g, "''");
}

/**
 * Admin SQL (DESIGN §5): one statement, admin users only, audited. Read-only unless `write` —
 * enforced by the database itself (a read batch cannot write), not by guessing from the text.
 * System tables (`_islet_*`, in any quoting) and ATTACH/DETACH/PRAGMA/VACUUM are refused; the audit
 * log's own triggers refuse UPDATE and DELETE regardless.
 */
export async function executeSql({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { workspaceId: string; sql: string; args: InValue[]; write: boolean };
}) {
  const access = await authorizeWorkspace(ctx, input.workspaceId, {
    role: "admin",
    scope: "schema:write",
    usersOnly: true,
  });
  const bare = skeleton(input.sql);
  if (/;\s*\S/.test(bare.replace(/;\s*$/, "")))
    throw new ApiError("invalid_request", "Send one statement at a time");
  if (/_islet_/i.test(input.sql))
    throw new ApiError("forbidden", "System tables (_islet_*) are not reachable through SQL");
  if (/\b(attach|detach|pragma|vacuum|load_extension|readfile|writefile|fsdir)\b/i.test(bare)) {
    throw new ApiError("forbidden", "ATTACH, DETACH, PRAGMA, VACUUM and file functions are not allowed");
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
