import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/env";
import { ApiError } from "../lib/errors";
import { type CheckResult, noteRefusal, rateLimitedError, rateLimitHeaders } from "../services/gatekeeper";
import { admissionFor, admit, workspaceToNotify } from "../services/gatekeeper/admission";
import { recordRateLimited } from "../services/gatekeeper/exceeded";
import { onAuthFailure } from "./auth-failure";

/**
 * One Gatekeeper hop per request (architecture §4): the principal's rate limits (the addressed
 * workspace's plan, a key's own caps on top) and the revocation check for its credential.
 * Fails closed: if the Gatekeeper cannot answer, `gate` throws 503 and nothing is admitted.
 * Anonymous requests are limited per IP; auth endpoints add their own per-IP and per-account
 * limits in the auth service.
 */
export const gatekeeper = createMiddleware<AppEnv>(async (c, next) => {
  const actor = c.get("actor") ?? { type: "anonymous" };
  const admission = admissionFor({
    actor,
    ...(c.get("apiKey") ? { key: c.get("apiKey") } : {}),
    ...(c.get("workspace") ? { workspace: c.get("workspace") } : {}),
    member: c.get("workspaceMember") === true,
    ip: c.req.header("CF-Connecting-IP") ?? null,
  });
  const { result, refused, refusedBy } = await admit(c.env, admission);
  if (result.revoked) {
    const revoked = new ApiError("credential_revoked", "This credential has been revoked");
    await onAuthFailure(
      c,
      revoked,
      actor.type === "apiKey" ? { via: "api_key", keyId: actor.keyId } : { via: "session" },
    );
  }
  if (refused) {
    if (refused.firstRefusalInWindow) auditExceeded(c, admission.principal, refused);
    countForWorkspace(c, workspaceToNotify(admission, refusedBy));
    throw rateLimitedError(refused);
  }
  await next();
  // A route with its own limit (signup, login, …) has already said which rule applies to it.
  if (c.res.headers.has("RateLimit-Limit")) return;
  for (const [name, value] of Object.entries(rateLimitHeaders(result))) c.header(name, value);
});

/**
 * A 429 decided by the caller's own limit is the workspace's 429 too (its usage charts count
 * them): told to the workspace's Gatekeeper after the response. The refusal stands either way.
 */
function countForWorkspace(c: Context<AppEnv>, workspace: string | undefined): void {
  if (workspace === undefined) return;
  const ctx = c.var.ctx;
  ctx.waitUntil(
    noteRefusal(c.env, workspace).catch((e: unknown) =>
      ctx.logger.warn("refusal count failed", { error: e instanceof Error ? e.message : String(e) }),
    ),
  );
}

/**
 * `ratelimit.exceeded`, at most once per principal per window (the Gatekeeper says which refusal
 * is the first), so a flood leaves one event, not thousands. A key's event goes to its own
 * workspace's audit log; others to the platform security log. Written after the response.
 */
function auditExceeded(c: Context<AppEnv>, principal: string, result: CheckResult): void {
  const ctx = c.var.ctx;
  const input = { principal, rule: result.rule, limit: result.limit, retryAfter: result.retryAfter };
  ctx.waitUntil(
    recordRateLimited({ ctx, input }).catch((e: unknown) =>
      ctx.logger.error("rate limit audit failed", { error: e instanceof Error ? e.message : String(e) }),
    ),
  );
}
