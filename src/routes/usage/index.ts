import { Hono } from "hono";
import type { AppEnv } from "../../types";

export const usageRoutes = new Hono<AppEnv>();
