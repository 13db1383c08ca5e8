import { Hono } from "hono";
import type { AppEnv } from "../../types";

export const sqlRoutes = new Hono<AppEnv>();
