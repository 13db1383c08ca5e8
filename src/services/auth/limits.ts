import { addressKey } from "../../lib/address";
import { sha256Hex } from "../../lib/crypto";
import type { ServiceContext } from "../core/context";
import { gate, rateLimitedError, recordAuthFailure, resetAuthFailures } from "../gatekeeper";

/**
 * Per-IP and per-account limits of the auth endpoints (architecture §4), each in its own Gatekeeper:
 * `ip:<addr>:<route>` and `login:<sha256(email)>`. The email is hashed so addresses never
 * appear in Durable Object names.
 */
const HOUR = 3_600_000;
const MINUTE = 60_000;

export const IP_LIMITS = {
  signup: { limit: 10, windowMs: HOUR },
  login: { limit: 30, windowMs: MINUTE },
  refresh: { limit: 60, windowMs: MINUTE },
  logout: { limit: 60, windowMs: MINUTE },
  session: { limit: 120, windowMs: MINUTE },
  verify_email: { limit: 20, windowMs: HOUR },
  resend_verification: { limit: 10, windowMs: HOUR },
  reset_request: { limit: 10, windowMs: HOUR },
  reset_confirm: { limit: 20, windowMs: HOUR },
  password_change: { limit: 10, windowMs: HOUR },
  oidc: { limit: 30, windowMs: MINUTE },
} as const;
export type AuthRoute = keyof typeof IP_LIMITS;

export const ACCOUNT_LIMITS = {
  login: { limit: 20, windowMs: 15 * MINUTE },
  reset_request: { limit: 3, windowMs: HOUR },
  resend_verification: { limit: 3, windowMs: HOUR },
  password_change: { limit: 5, windowMs: 15 * MINUTE },
} as const;
export type AccountRoute = keyof typeof ACCOUNT_LIMITS;

export const accountPrincipal = async (email: string) =>
  `login:${await sha256Hex(email.trim().toLowerCase())}`;

export async function limitIp(ctx: ServiceContext, route: AuthRoute): Promise<void> {
  const rule = { id: `auth-${route}`, ...IP_LIMITS[route] };
  const result = await gate(ctx.env, `ip:${addressKey(ctx.ip)}:${route}`, { cost: 1, rules: [rule] });
  if (!result.allowed) throw rateLimitedError(result);
}

/** Routes that recover an account: bounded by their own limits, open during a failure backoff. */
const RECOVERY: readonly AccountRoute[] = ["reset_request", "resend_verification"];

/**
 * The account's own limit for this route. Guessing routes (login, password change) are also
 * refused while a failure backoff runs; recovery routes are not (see `ignoreLockout`).
 */
export async function limitAccount(ctx: ServiceContext, email: string, route: AccountRoute): Promise<void> {
  const rule = { id: `auth-${route}`, ...ACCOUNT_LIMITS[route] };
  const result = await gate(ctx.env, await accountPrincipal(email), {
    cost: 1,
    rules: [rule],
    ignoreLockout: RECOVERY.includes(route),
  });
  if (!result.allowed) throw rateLimitedError(result);
}

export async function noteAuthFailure(ctx: ServiceContext, email: string): Promise<void> {
  await recordAuthFailure(ctx.env, await accountPrincipal(email));
}

export async function clearAuthFailures(ctx: ServiceContext, email: string): Promise<void> {
  await resetAuthFailures(ctx.env, await accountPrincipal(email));
}
