export { type AuditEvent, commitWithAudit, recordAudit } from "./record";
