import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/env";
import { ApiError } from "../lib/errors";
import { verifyOperatorToken } from "../services/operator";
import { noteSecurityEvent } from "../services/security-log";

const OPERATOR_AUTHORIZATION = /^Operator\s+(\S{1,512})$/i;

/**
 * Operator authentication for /v1/operator only: `Authorization: Operator <token>`, checked
 * against the hashes in `OPERATOR_TOKENS`. Nothing else is accepted there — not sessions, not
 * API keys — and a failed attempt is written to the platform security log.
 */
export const operatorAuthenticate = createMiddleware<AppEnv>(async (c, next) => {
  const match = OPERATOR_AUTHORIZATION.exec(c.req.header("Authorization") ?? "");
  const operatorId = match?.[1] ? await verifyOperatorToken(c.get("config"), match[1]) : null;
  if (!operatorId) {
    await noteSecurityEvent(c.var.ctx, {
      action: "operator.auth_failed",
      details: { path: c.req.path, scheme: match ? "operator" : "other" },
    });
    throw new ApiError("unauthorized", "Operator routes need `Authorization: Operator <token>`");
  }
  c.set("actor", { type: "operator", operatorId });
  try {
    await next();
  } finally {
    // The operator API's own trail: every call, who made it and how it ended (never a body).
    await noteSecurityEvent(c.var.ctx, {
      action: "operator.request",
      details: { operatorId, method: c.req.method, path: c.req.path, status: c.res.status },
    });
  }
});
