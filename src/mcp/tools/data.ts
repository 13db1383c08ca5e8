import {
  AUDIT_READ,
  AuditPage,
  ChainReport,
  listAuditEvents,
  listAuditInput,
  verifyAuditChain,
  workspaceScoped,
} from "../../services/audit";
import { executeSql, executeSqlInput, SQL_NEEDS, SqlResult } from "../../services/sql";
import { readOnly, tool, withoutWorkspace } from "../tool";

export const sqlTools = [
  tool({
    name: "execute_sql",
    title: "Run SQL",
    description:
      "One SQL statement against the workspace database (admins, signed in; audited). Read-only unless `write` is true; islet's own `_islet_*` tables are not writable. It must finish within 4 s (else `statement_timeout`); at most 1,000 rows come back (`truncated: true` when there were more).",
    need: SQL_NEEDS.run,
    input: withoutWorkspace(executeSqlInput),
    output: SqlResult,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
    run: (ctx, input) => executeSql({ ctx, input }),
  }),
];

export const auditTools = [
  tool({
    name: "list_audit_events",
    title: "Read the audit log",
    description:
      "The workspace's append-only audit log, newest first: filter by action (`key.revoke`, `key.*`), actor, time range; page with the cursor.",
    need: AUDIT_READ,
    input: withoutWorkspace(listAuditInput),
    output: AuditPage,
    annotations: readOnly,
    run: (ctx, input) => listAuditEvents({ ctx, input }),
  }),
  tool({
    name: "verify_audit_chain",
    title: "Verify the audit log",
    description: "Checks the audit log's hash chain from the first event to the newest.",
    need: AUDIT_READ,
    input: withoutWorkspace(workspaceScoped),
    output: ChainReport,
    annotations: readOnly,
    run: (ctx, input) => verifyAuditChain({ ctx, input }),
  }),
];
