export {
  type CreateIssuerInput,
  checkJwksUrl,
  createIssuer,
  deleteIssuer,
  type IssuerView,
  listIssuers,
} from "./manage";
export { unverifiedIssuer, verifyEndUserToken, workspaceIdFromPath } from "./verify";
