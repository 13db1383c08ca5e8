import { Hono } from "hono";
import { bodyLimit } from "./middleware/body-limit";
import { requireConfig } from "./middleware/config";
import { cors } from "./middleware/cors";
import { notFoundHandler, onError } from "./middleware/errors";
import { requestLogger } from "./middleware/logger";
import { requestId } from "./middleware/request-id";
import { secureHeaders } from "./middleware/secure-headers";
import { healthRoutes } from "./routes/health";
import type { AppEnv } from "./types";

/**
 * The Hono app in DESIGN §2's fixed order: requestId → logger → errors → secureHeaders → cors →
 * (body limit) → csrf → authenticate → gatekeeper → tenant → route → service.
 * Config is checked right after logging so a misconfigured deployment refuses everything.
 */
export function buildApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("*", requestId, requestLogger, requireConfig, secureHeaders, cors, bodyLimit);
  app.onError(onError);

  app.route("/health", healthRoutes);

  app.notFound(notFoundHandler(app));
  return app;
}
