import { Hono } from "hono";
import { getWorkspaceUsage } from "../../services/usage";
import type { AppEnv } from "../../types";
import { serviceContext } from "../context";
import { workspaceIdOf } from "../workspaces/param";

/** GET /v1/workspaces/:workspaceId/usage — this month's requests as the Gatekeeper counted them. */
export const usageRoutes = new Hono<AppEnv>().get("/", async (c) =>
  c.json(await getWorkspaceUsage({ ctx: serviceContext(c), input: { workspaceId: workspaceIdOf(c) } })),
);
