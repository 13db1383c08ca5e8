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

/** How often one isolate tells a workspace's Gatekeeper of the refusals it has counted. */
const REFUSAL_REPORT_MS = 1_000;
/** Per isolate: refusals not yet told to each workspace's Gatekeeper, and when it was last told. */
const refusalReports = new Map<string, { pending: number; reportedAt: number }>();

/**
 * A 429 decided by the caller's own limit is the workspace's 429 too (its usage charts count
 * them). The workspace's Gatekeeper is the object every request of the workspace needs for
 * admission, so a flood of one credential's refused requests must not become a flood of calls to
 * it: an isolate tells it at most once per REFUSAL_REPORT_MS, with the count since (a burst's last
 * second is told with the next refusal). After the response; the refusal stands either way.
 */
function countForWorkspace(c: Context<AppEnv>, workspace: string | undefined): void {
  if (workspace === undefined) return;
  const now = Date.now();
  const report = refusalReports.get(workspace) ?? { pending: 0, reportedAt: 0 };
  report.pending += 1;
  refusalReports.set(workspace, report);
  if (now - report.reportedAt < REFUSAL_REPORT_MS) return;
  const count = report.pending;
  report.pending = 0;
  report.reportedAt = now;
  const ctx = c.var.ctx;
  ctx.waitUntil(
    noteRefusal(c.env, workspace, count).catch((e: unknown) =>
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
