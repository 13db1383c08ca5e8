export { createWorkspace, getWorkspace, listWorkspaces, type WorkspaceView, workspaceView } from "./create";
export { deleteWorkspace } from "./destroy";
export { renameWorkspace, transferWorkspace } from "./update";
