import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/env";
import { loadAddressedWorkspace } from "../services/workspaces/addressed";

/**
 * The "tenant" step of architecture §2 for `/v1/workspaces/:workspaceId/*`: loads the addressed
 * workspace once, before the gatekeeper (whose limits depend on its plan). Authorization is the
 * services' business.
 */
export const loadWorkspace = createMiddleware<AppEnv>(async (c, next) => {
  const workspaceId = c.req.param("workspaceId");
  if (workspaceId === undefined) return next();
  const { workspace, member } = await loadAddressedWorkspace({ ctx: c.var.ctx, input: { workspaceId } });
  c.set("workspace", workspace);
  if (member) c.set("workspaceMember", true);
  return next();
});
