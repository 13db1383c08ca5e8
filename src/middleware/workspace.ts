import { eq } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { controlDb } from "../db/control/client";
import { workspaces } from "../db/control/schema";
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
  const [row] = await controlDb(c.get("config")).select().from(workspaces).where(eq(workspaces.id, id));
  if (!row) throw new ApiError("not_found", "Workspace not found");
  c.set("workspace", row);
  return next();
});
