export { createWorkspace, getWorkspace, listWorkspaces, type WorkspaceView, workspaceView } from "./create";
export { deleteWorkspace } from "./destroy";
export * from "./schemas";
export { renameWorkspace, transferWorkspace } from "./update";
