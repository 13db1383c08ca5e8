import { ApiError } from "../../lib/errors";
import {
  AUDIT_READ,
  AuditPage,
  ChainReport,
  listAuditEvents,
  listAuditInput,
  verifyAuditChain,
  workspaceScoped,
} from "../../services/audit";
import { executeSql, isWriteNeeded, querySqlInput, SQL_NEEDS, SqlResult } from "../../services/sql";
import { readOnly, tool, withoutWorkspace } from "../tool";

const SQL_LIMITS =
  "Admins signed in as people only; audited. It must finish within 4 s (else `statement_timeout`); at most 1,000 rows come back (`truncated: true` when there were more); a syntax error is `sql_syntax`.";

/**
 * Admin SQL as two tools (REST keeps one operation with `write`): MCP annotations describe a
 * tool, not a call (MCP 2025-11-25, tools: `annotations` are per tool), so a client that asks
 * before destructive tools would otherwise ask before every SELECT.
 */
export const sqlTools = [
  tool({
    name: "query_sql",
    title: "Query with SQL",
    description: `Runs one read-only SQLite statement (SELECT, VALUES, WITH … SELECT, EXPLAIN) against the workspace database, in a read-only transaction; a statement that writes is refused (\`forbidden\`): use execute_sql. ${SQL_LIMITS}`,
    rest: { operationId: "executeSql" },
    need: SQL_NEEDS.run,
    input: withoutWorkspace(querySqlInput),
    output: SqlResult,
    annotations: readOnly,
    run: async (ctx, input) => {
      try {
        return await executeSql({ ctx, input: { ...input, write: false } });
      } catch (error) {
        if (!isWriteNeeded(error)) throw error;
        throw new ApiError(
          "forbidden",
          "This statement writes: query_sql only reads; run it with execute_sql",
          {
            details: { needs: "write", tool: "execute_sql" },
          },
        );
      }
    },
  }),
  tool({
    name: "execute_sql",
    title: "Change data with SQL",
    description: `Runs one SQLite statement that may write (INSERT, UPDATE, DELETE, CREATE, ALTER, DROP …) against the workspace database, in a transaction with its audit event; islet's own \`_islet_*\` tables are out of reach. For reads use query_sql. ${SQL_LIMITS}`,
    rest: { operationId: "executeSql" },
    need: SQL_NEEDS.run,
    input: withoutWorkspace(querySqlInput),
    output: SqlResult,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
    run: (ctx, input) => executeSql({ ctx, input: { ...input, write: true } }),
  }),
];

export const auditTools = [
  tool({
    name: "list_audit_events",
    title: "Read the audit log",
    description:
      "The workspace's append-only audit log, newest first: filter by action (`key.revoke`, `key.*`), actor, time range (epoch milliseconds); page with `nextCursor`. Every argument is optional.",
    rest: { operationId: "listAuditEvents" },
    need: AUDIT_READ,
    input: withoutWorkspace(listAuditInput),
    output: AuditPage,
    annotations: readOnly,
    run: (ctx, input) => listAuditEvents({ ctx, input }),
  }),
  tool({
    name: "verify_audit_chain",
    title: "Verify the audit log",
    description:
      "Checks the audit log's hash chain from the first event to the newest: `ok: false` comes with `firstBroken`, the first event that does not link.",
    rest: { operationId: "verifyAuditChain" },
    need: AUDIT_READ,
    input: withoutWorkspace(workspaceScoped),
    output: ChainReport,
    annotations: readOnly,
    run: (ctx, input) => verifyAuditChain({ ctx, input }),
  }),
];
