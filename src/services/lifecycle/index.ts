export { CERTIFICATE_TYPE, platformJwks, signCertificate, verifyCertificate } from "./certificate";
export {
  deleteAccount,
  deletionStatus,
  finishDeletion,
  RECENT_SIGN_IN_MS,
  resumeDeletions,
  runScheduledDeletions,
} from "./deletion";
export { exportAccount } from "./export";
export * from "./schemas";
export { WORKSPACE_EXPORT_FORMAT, WORKSPACE_EXPORT_VERSION, WorkspaceImported } from "./workspace-archive";
export { exportWorkspace } from "./workspace-export";
export { importWorkspace } from "./workspace-import";
