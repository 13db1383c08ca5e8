import { Hono } from "hono";
import type { AppEnv } from "../../types";

export const workspacesRoutes = new Hono<AppEnv>();
