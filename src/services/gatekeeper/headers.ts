import type { CheckResult } from "../../../durable-objects/gatekeeper/principal";
import { ApiError } from "../../lib/errors";

/**
 * `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (delta seconds) as in
 * draft-ietf-httpapi-ratelimit-headers, and `Retry-After` (RFC 9110 §10.2.3, delay-seconds)
 * when a limit or a lockout refused the request. Nothing when no rule applied.
 */
export function rateLimitHeaders(result: CheckResult, now = Date.now()): Record<string, string> {
  if (!Number.isFinite(result.limit)) return {};
  const headers: Record<string, string> = {
    "RateLimit-Limit": String(result.limit),
    "RateLimit-Remaining": String(Math.max(0, result.remaining)),
    "RateLimit-Reset": String(Math.max(0, Math.ceil((result.resetAt - now) / 1000))),
  };
  if (!result.allowed && !result.revoked) headers["Retry-After"] = String(Math.max(1, result.retryAfter));
  return headers;
}

/**
 * The 429 for a refused check. A lockout reads like any other limit, so the answer does not
 * tell a guesser that an account exists or that its password was being guessed.
 */
export function rateLimitedError(result: CheckResult): ApiError {
  const retryAfter = Math.max(1, result.retryAfter);
  const headers = rateLimitHeaders(result);
  headers["Retry-After"] = String(retryAfter);
  const details =
    result.rule === "lockout" ? { retryAfter } : { rule: result.rule, limit: result.limit, retryAfter };
  return new ApiError("rate_limited", `Too many requests; retry in ${retryAfter} s`, { details, headers });
}
