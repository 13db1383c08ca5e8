import { Hono } from "hono";
import type { AppEnv } from "../../types";

export const tablesRoutes = new Hono<AppEnv>();
