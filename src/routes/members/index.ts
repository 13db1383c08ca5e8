import { Hono } from "hono";
import type { AppEnv } from "../../types";

export const membersRoutes = new Hono<AppEnv>();
