import { and, eq } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { controlDb } from "../db/control/client";
import { memberships, workspaces } from "../db/control/schema";
import { ApiError } from "../lib/errors";
import type { AppEnv } from "../types";

const WORKSPACE_ID = /^ws_[0-9a-z]{26}$/;

/**
 * The "tenant" step of DESIGN §2 for `/v1/workspaces/:workspaceId/*`: loads the addressed
 * workspace once (the gatekeeper needs its plan, services its database locator). It does not
 * authorize: services do, and a workspace the actor cannot see answers 404 there.
 */
export const loadWorkspace = createMiddleware<AppEnv>(async (c, next) => {
  const id = c.req.param("workspaceId");
  if (id === undefined) return next();
  if (!WORKSPACE_ID.test(id)) throw new ApiError("not_found", "Workspace not found");
  const actor = c.get("actor");
  const userId = actor.type === "user" ? actor.userId : "";
  // One read: the row, and whether a signed-in caller is a member (only members' requests count
  // against the workspace's plan and its aggregate limit; anyone else's are theirs alone).
  const [found] = await controlDb(c.get("config"))
    .select({ workspace: workspaces, role: memberships.role })
    .from(workspaces)
    .leftJoin(memberships, and(eq(memberships.workspaceId, workspaces.id), eq(memberships.userId, userId)))
    .where(eq(workspaces.id, id));
  if (!found) throw new ApiError("not_found", "Workspace not found");
  c.set("workspace", found.workspace);
  if (found.role) c.set("workspaceMember", true);
  return next();
});
