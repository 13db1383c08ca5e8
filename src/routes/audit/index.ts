import { Hono } from "hono";
import type { AppEnv } from "../../types";

export const auditRoutes = new Hono<AppEnv>();
