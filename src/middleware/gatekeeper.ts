import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { addressKey } from "../lib/address";
import { ApiError } from "../lib/errors";
import { isPlanId, MINUTE_MS, type PlanId, planRules, workspaceRules } from "../lib/plans";
import { CALENDAR_MONTH, type GateRule } from "../lib/rate-limit";
import { type CheckResult, gate, rateLimitedError, rateLimitHeaders } from "../services/gatekeeper";
import { recordRateLimited } from "../services/gatekeeper/exceeded";
import type { AppEnv } from "../types";
import { onAuthFailure } from "./auth-failure";

/**
 * One Gatekeeper hop per request (DESIGN §4): the principal's rate limits (the addressed
 * workspace's plan, a key's own caps on top) and the revocation check for its credential.
 * Fails closed: if the Gatekeeper cannot answer, `gate` throws 503 and nothing is admitted.
 * Anonymous requests are limited per IP; auth endpoints add their own per-IP and per-account
 * limits in the auth service.
 */
export const gatekeeper = createMiddleware<AppEnv>(async (c, next) => {
  const actor = c.get("actor");
  const workspace = c.get("workspace");
  const key = c.get("apiKey");
  let principal: string;
  let plan: PlanId = "free";
  let rules: GateRule[];
  let credential: { id: string; issuedAt?: number } | undefined;

  if (actor.type === "apiKey" && key) {
    principal = `key:${actor.keyId}`;
    plan = key.plan;
    rules = [...planRules(plan), ...keyCapRules(key.perMinute, key.monthlyCap)];
    credential = { id: actor.keyId };
  } else if (actor.type === "user") {
    principal = `user:${actor.userId}`;
    if (workspace && c.get("workspaceMember") && isPlanId(workspace.plan)) plan = workspace.plan;
    rules = planRules(plan);
    credential = { id: actor.sessionId, issuedAt: actor.issuedAt };
  } else if (actor.type === "endUser") {
    // End users of a workspace's own auth count per subject against that workspace's plan.
    principal = `end:${actor.workspaceId}:${actor.issuerId}:${actor.subject}`;
    if (workspace && isPlanId(workspace.plan)) plan = workspace.plan;
    rules = planRules(plan);
  } else {
    principal = `ip:${addressKey(c.req.header("CF-Connecting-IP"))}:api`;
    rules = planRules("free");
  }

  // The principal's own hop decides revocation and its limits. Only a request it admits is then
  // charged to the counters it shares (the workspace's aggregate, a child key's ancestors' monthly
  // caps), in parallel: a refused or revoked caller never spends anyone else's allowance.
  const result = await gate(c.env, principal, { cost: 1, rules, credential });
  if (!result.revoked && result.allowed) {
    const refusedShared = (await Promise.all(sharedChecks(c, plan))).find((r) => !r.allowed);
    if (refusedShared) {
      if (refusedShared.firstRefusalInWindow) auditExceeded(c, principal, refusedShared);
      throw rateLimitedError(refusedShared);
    }
  }
  if (result.revoked) {
    const revoked = new ApiError("credential_revoked", "This credential has been revoked");
    await onAuthFailure(
      c,
      revoked,
      actor.type === "apiKey" ? { via: "api_key", keyId: actor.keyId } : { via: "session" },
    );
  }
  if (!result.allowed) {
    if (result.firstRefusalInWindow) auditExceeded(c, principal, result);
    throw rateLimitedError(result);
  }
  await next();
  // A route with its own limit (signup, login, …) has already said which rule applies to it.
  if (c.res.headers.has("RateLimit-Limit")) return;
  for (const [name, value] of Object.entries(rateLimitHeaders(result))) c.header(name, value);
});

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

/** Counters shared with other principals: the addressed workspace's, and a key's ancestors'. */
function sharedChecks(c: Context<AppEnv>, plan: PlanId): Promise<CheckResult>[] {
  const actor = c.get("actor");
  const workspace = c.get("workspace");
  const checks: Promise<CheckResult>[] = [];
  // Keys and end users belong to their workspace; a user counts there only as a member, so nobody
  // can spend another workspace's allowance by addressing it.
  let workspaceId: string | undefined;
  if (actor.type === "apiKey" || actor.type === "endUser") workspaceId = actor.workspaceId;
  else if (actor.type === "user" && c.get("workspaceMember")) workspaceId = workspace?.id;
  if (workspaceId) checks.push(gate(c.env, `ws:${workspaceId}`, { cost: 1, rules: workspaceRules(plan) }));
  for (const ancestor of c.get("apiKey")?.ancestorCaps ?? []) {
    checks.push(
      gate(c.env, `key:${ancestor.keyId}`, {
        cost: 1,
        rules: [{ id: "key-month", limit: ancestor.monthlyCap, windowMs: CALENDAR_MONTH }],
      }),
    );
  }
  return checks;
}

function keyCapRules(perMinute: number | null, monthlyCap: number | null): GateRule[] {
  const rules: GateRule[] = [];
  if (perMinute !== null) rules.push({ id: "key-minute", limit: perMinute, windowMs: MINUTE_MS });
  if (monthlyCap !== null) rules.push({ id: "key-month", limit: monthlyCap, windowMs: CALENDAR_MONTH });
  return rules;
}
