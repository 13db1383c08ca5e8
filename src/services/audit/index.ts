export * from "./activity";
export { CSV_HEADER, csvField, csvLine } from "./csv";
export { type AuditExport, exportAuditLog, streamAuditLog } from "./export";
export { AUDIT_READ, listAuditEvents } from "./query";
export { type AuditEntry, type AuditFilter, readAuditPage, type StoredAuditRow } from "./read";
export {
  AUDIT_FIELDS,
  type AuditEvent,
  type AuditRow,
  auditInsertSql,
  auditValues,
  canonicalEvent,
  chainHash,
  commitWithAudit,
  GENESIS_HASH,
  recordAudit,
} from "./record";
export * from "./schemas";
export { verifyAuditChain, verifyChain } from "./verify";
