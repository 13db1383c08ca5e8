export {
  BREAK_GLASS_DEFAULT_ROWS,
  BREAK_GLASS_MAX_ROWS,
  type BreakGlassRead,
  MIN_REASON_LENGTH,
  readTenantRows,
} from "./break-glass";
export { requireOperator, verifyOperatorToken } from "./credential";
export { type DataAccessNotice, notifyOwners, type OwnerAlerter } from "./notify";
export { setWorkspacePlan } from "./plan";
