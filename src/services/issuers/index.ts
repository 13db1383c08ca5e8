export {
  checkJwksUrl,
  createIssuer,
  deleteIssuer,
  type IssuerView,
  listIssuers,
} from "./manage";
export * from "./schemas";
export { unverifiedIssuer, verifyEndUserToken, workspaceIdFromPath } from "./verify";
