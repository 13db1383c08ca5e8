import { Hono } from "hono";
import type { AppEnv } from "../../types";

export const functionsRoutes = new Hono<AppEnv>();
