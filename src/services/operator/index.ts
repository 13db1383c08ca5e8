export { readTenantRows } from "./break-glass";
export { requireOperator, verifyOperatorToken } from "./credential";
export { ABANDONED_PROVISIONING_MS, collectGarbage, type GcReport, runScheduledGc } from "./gc";
export { type IncidentPlan, planIncidentRotation, revokeEverySession } from "./incident";
export {
  type KeyringStatus,
  keyringStatus,
  mayDropVersion,
  type RotationReport,
  rotateKeyring,
} from "./keyring";
export { type DataAccessNotice, notifyOwners, type OwnerAlerter } from "./notify";
export { setWorkspacePlan } from "./plan";
export { type ScanCheck, scanTenants, type TenantScan } from "./scan";
export * from "./schemas";
export {
  fanOutMigrations,
  listTenants,
  showTenant,
  type TenantDetail,
  type TenantMigrationStatus,
} from "./tenants";
