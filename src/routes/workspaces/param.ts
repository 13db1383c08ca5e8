import { ApiError } from "../../lib/errors";

/**
 * The `:workspaceId` of the mount point a sub-app sits under (members, keys, issuers). The
 * loadWorkspace middleware has already checked its shape; services authorize it.
 */
export function workspaceIdOf(c: { req: { param: (name: string) => string | undefined } }): string {
  const id = c.req.param("workspaceId");
  if (!id) throw new ApiError("not_found", "Workspace not found");
  return id;
}
