import type { Context } from "hono";
import { ApiError } from "../lib/errors";
import { MINUTE_MS } from "../lib/plans";
import { serviceContext } from "../routes/context";
import { gate, rateLimitedError } from "../services/gatekeeper";
import { recordSecurityEvent } from "../services/security-log/record";
import type { AppEnv } from "../types";

/** Failed credentials one address may present per minute before it is answered 429. */
export const AUTH_FAILURES_PER_MINUTE = 30;

/**
 * A presented credential was refused (seed 003: every failed auth attempt is logged). Refused
 * credentials never reach the per-principal Gatekeeper, so they are limited here per address —
 * guessing keys or tokens costs a 429 after a few dozen tries — and written to the platform
 * security log (best effort: a log outage does not turn a 401 into a 503).
 */
export async function onAuthFailure(
  c: Context<AppEnv>,
  error: ApiError,
  details: { via: "api_key" | "jwt" | "end_user" | "session"; keyId?: string },
): Promise<never> {
  const ip = c.req.header("CF-Connecting-IP") ?? "unknown";
  const verdict = await gate(c.env, `ip:${ip}:auth-failed`, {
    rules: [{ id: "auth-failed-minute", limit: AUTH_FAILURES_PER_MINUTE, windowMs: MINUTE_MS }],
  });
  const ctx = serviceContext(c);
  const write = recordSecurityEvent(ctx, {
    action: "auth.failed",
    details: { ...details, code: error.code, path: c.req.path, limited: !verdict.allowed },
  }).catch((e: unknown) =>
    ctx.logger.error("security log write failed", {
      action: "auth.failed",
      error: e instanceof Error ? e.message : "",
    }),
  );
  ctx.waitUntil(write);
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
