export { createWorkspace, getWorkspace, listWorkspaces, type WorkspaceView, workspaceView } from "./create";
export { deleteWorkspace } from "./destroy";
export { changePlan, renameWorkspace, transferWorkspace } from "./update";
