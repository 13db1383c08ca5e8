import type { Context } from "hono";
import type { AppEnv } from "../http/env";
import { addressKey } from "../lib/address";
import { ApiError } from "../lib/errors";
import { ID_FORMATS } from "../lib/ids";
import { MINUTE_MS } from "../lib/plans";
import { gate, rateLimitedError } from "../services/gatekeeper";
import { recordKeyAuthFailure } from "../services/keys/failures";
import { noteSecurityEvent } from "../services/security-log/record";

/** Failed credentials one address may present per minute before it is answered 429. */
export const AUTH_FAILURES_PER_MINUTE = 30;

const failureRule = [{ id: "auth-failed-minute", limit: AUTH_FAILURES_PER_MINUTE, windowMs: MINUTE_MS }];
const failurePrincipal = (c: Context<AppEnv>) =>
  `ip:${addressKey(c.req.header("CF-Connecting-IP"))}:auth-failed`;

/**
 * Refuses an address that has used up its failed-credential allowance before its credential
 * costs any database work (a flood of bad keys must not turn into control-database reads). The
 * check charges nothing while the address is under its limit: only failures count.
 */
export async function assertUnderFailureLimit(c: Context<AppEnv>): Promise<void> {
  const peek = await gate(c.env, failurePrincipal(c), { cost: 0, rules: failureRule });
  if (peek.allowed && peek.remaining > 0) return;
  // Exhausted: charge one to learn whether this is the window's first refusal, the one logged.
  const verdict = await gate(c.env, failurePrincipal(c), { rules: failureRule });
  if (verdict.allowed) return;
  if (verdict.firstRefusalInWindow) logFailure(c, { code: "rate_limited" }, true);
  throw rateLimitedError(verdict);
}

function logFailure(c: Context<AppEnv>, details: Record<string, unknown>, limited: boolean): void {
  const ctx = c.var.ctx;
  ctx.waitUntil(
    noteSecurityEvent(ctx, { action: "auth.failed", details: { ...details, path: c.req.path, limited } }),
  );
  const keyId = details.keyId;
  if (typeof keyId === "string" && ID_FORMATS.key.test(keyId)) {
    const tenantWrite = recordKeyAuthFailure({
      ctx,
      input: { keyId, code: String(details.code), path: c.req.path },
    }).catch((e: unknown) =>
      ctx.logger.error("tenant audit write failed", {
        action: "auth.failed",
        error: e instanceof Error ? e.message : "",
      }),
    );
    ctx.waitUntil(tenantWrite);
  }
}

/**
 * A presented credential was refused (seed 003: every failed auth attempt is logged). Refused
 * credentials never reach the per-principal Gatekeeper, so they are limited here per address —
 * guessing keys or tokens costs a 429 after a few dozen tries. Failures are written to the
 * platform security log until the address is limited, then only its first refusal per window,
 * so a flood cannot grow the control database (best effort: a log outage does not turn a 401
 * into a 503).
 */
export async function onAuthFailure(
  c: Context<AppEnv>,
  error: ApiError,
  details: { via: "api_key" | "jwt" | "end_user" | "session" | "ticket"; keyId?: string },
): Promise<never> {
  const verdict = await gate(c.env, failurePrincipal(c), { rules: failureRule });
  if (verdict.allowed || verdict.firstRefusalInWindow) {
    logFailure(c, { ...details, code: error.code }, !verdict.allowed);
  }
  if (!verdict.allowed) throw rateLimitedError(verdict);
  throw error;
}

/** Runs `verify`; a 401 it throws goes through `onAuthFailure`. */
export async function verifying<T>(
  c: Context<AppEnv>,
  details: Parameters<typeof onAuthFailure>[2],
  verify: () => Promise<T>,
): Promise<T> {
  try {
    return await verify();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return onAuthFailure(c, error, details);
    throw error;
  }
}
