export {
  noteSecurityEvent,
  recordSecurityEvent,
  type SecurityEvent,
  type SecurityLogRow,
  securityEventRow,
} from "./record";
export { purgeSecurityLog, runScheduledRetention, SECURITY_LOG_RETENTION_MS } from "./retention";
