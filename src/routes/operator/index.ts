import { Hono } from "hono";
import type { AppEnv } from "../../types";

export const operatorRoutes = new Hono<AppEnv>();
