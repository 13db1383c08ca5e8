export { CSV_HEADER, csvField, csvLine } from "./csv";
export {
  type AuditExport,
  EXPORT_FORMATS,
  type ExportFormat,
  exportAuditLog,
  streamAuditLog,
} from "./export";
export { AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX, AUDIT_READ, listAuditEvents } from "./query";
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
export { type ChainReport, verifyAuditChain, verifyChain } from "./verify";
