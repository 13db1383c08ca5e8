import { Hono } from "hono";
import type { AppEnv } from "../../types";

export const keysRoutes = new Hono<AppEnv>();
