import type { Gatekeeper } from "../../../durable-objects/gatekeeper";
import {
  type AuthFailures,
  assertClaim,
  assertCredential,
  assertRevocation,
  type CheckInput,
  type CheckResult,
  type GateStats,
  type RevokeOptions,
} from "../../../durable-objects/gatekeeper/principal";
import {
  assertCheck,
  type GateRule,
  type MonthlyUsage,
} from "../../../durable-objects/gatekeeper/rate-limit";
import { withDeadline } from "../../lib/deadline";
import { ApiError } from "../../lib/errors";
import { forgetLocalGate, localGate } from "./local";

export type {
  AuthFailures,
  CheckInput,
  CheckResult,
  Credential,
  GateStats,
  RevokeOptions,
} from "../../../durable-objects/gatekeeper/principal";
export type { GateRule, MonthlyUsage } from "../../../durable-objects/gatekeeper/rate-limit";
export { rateLimitedError, rateLimitHeaders } from "./headers";

/**
 * The Worker's client for the Gatekeeper (architecture §4): one Durable Object call per operation,
 * addressed by principal name (`user:<id>`, `key:<id>`, `ip:<addr>:<route>`, `login:<hash>`).
 *
 * Fails closed. If the object errors or does not answer within the timeout, the caller gets
 * 503 `unavailable` — in every environment — and nothing is admitted or assumed revoked-not.
 * Only a Worker with no GATEKEEPER binding at all, outside production, uses the in-memory
 * fallback (local unit use); in production a missing binding is also 503.
 */
export interface GatekeeperEnv {
  GATEKEEPER?: DurableObjectNamespace<Gatekeeper>;
  ENVIRONMENT?: string;
  /** Overrides the wait below (the env schema bounds it: 50 ms to 30 s). */
  GATEKEEPER_TIMEOUT_MS?: string;
}

export const DEFAULT_TIMEOUT_MS = 1_000;
/**
 * Local runs (wrangler dev, the test suite on a loaded 2-core machine) load the Durable Object's
 * module graph on first use, which can outlast a second; outside production the wait is longer.
 * The answer is still fail-closed: no answer in time is 503, never admission.
 */
export const LOCAL_TIMEOUT_MS = 15_000;

/** The Gatekeeper's wait: configured, or by environment; never past what the request has left. */
function gatekeeperTimeout(env: GatekeeperEnv): number {
  const configured = Number(env.GATEKEEPER_TIMEOUT_MS);
  if (env.GATEKEEPER_TIMEOUT_MS && Number.isInteger(configured) && configured > 0) return configured;
  return env.ENVIRONMENT === "production" ? DEFAULT_TIMEOUT_MS : LOCAL_TIMEOUT_MS;
}

type GatekeeperStub = DurableObjectStub<Gatekeeper>;
type LocalGate = ReturnType<typeof localGate>;

export async function gate(
  env: GatekeeperEnv,
  principal: string,
  input: CheckInput,
  opts: { timeoutMs?: number } = {},
): Promise<CheckResult> {
  // Caller mistakes surface here as errors (500), not as a 503 from the object.
  assertCheck(input.rules, input.cost ?? 1);
  assertCredential(input.credential);
  return call(
    env,
    principal,
    "check",
    (stub) => stub.check(input),
    (local) => local.check(input, Date.now()),
    opts.timeoutMs,
  );
}

/** Refuses the credential from `opts.graceUntil` (or at once). Resolves once durable. */
export async function revokeCredential(
  env: GatekeeperEnv,
  principal: string,
  credentialId: string,
  opts: RevokeOptions,
): Promise<void> {
  assertRevocation(credentialId, opts);
  return call(
    env,
    principal,
    "revoke",
    (stub) => stub.revoke(credentialId, opts),
    (local) => {
      local.revoke(credentialId, opts);
    },
  );
}

/** "Sign out everywhere": the principal's credentials issued before `at` are refused. */
export async function revokeIssuedBefore(env: GatekeeperEnv, principal: string, at: number): Promise<void> {
  return call(
    env,
    principal,
    "revokeIssuedBefore",
    (stub) => stub.revokeIssuedBefore(at),
    (local) => {
      local.revokeIssuedBefore(at);
    },
  );
}

/** Counts a failed sign-in; past a few failures the principal's checks are refused with backoff. */
export async function recordAuthFailure(env: GatekeeperEnv, principal: string): Promise<AuthFailures> {
  return call(
    env,
    principal,
    "recordFailure",
    (stub) => stub.recordFailure(),
    (local) => {
      const { failures, lockedUntil } = local.recordFailure(Date.now());
      return { failures, lockedUntil };
    },
  );
}

export async function resetAuthFailures(env: GatekeeperEnv, principal: string): Promise<void> {
  return call(
    env,
    principal,
    "resetFailures",
    (stub) => stub.resetFailures(),
    (local) => {
      local.resetFailures();
    },
  );
}

/**
 * Forgets a principal whose subject is gone (a deleted workspace `ws:<id>`, its keys, a deleted
 * account `user:<id>`): its counters, usage and revocations. Only for principals whose
 * credentials can no longer authenticate anyway (their rows are deleted first).
 */
export async function forgetPrincipal(env: GatekeeperEnv, principal: string): Promise<void> {
  return call(
    env,
    principal,
    "forget",
    (stub) => stub.forget(),
    () => forgetLocalGate(principal),
  );
}

/**
 * Claims an idempotency key for a request in flight (`holder`, its request id), for at most `ms`
 * (services/idempotency): false if another request holds it. Fails closed like every call here.
 */
export async function claimIdempotencyKey(
  env: GatekeeperEnv,
  principal: string,
  claim: { id: string; holder: string; ms: number },
): Promise<boolean> {
  const { id, holder, ms } = claim;
  assertClaim(id, holder, ms);
  return call(
    env,
    principal,
    "claim",
    (stub) => stub.claim(id, holder, ms),
    (local) => local.claim(id, holder, Date.now() + ms, Date.now()),
  );
}

/** Frees the key, if `holder` still holds it. */
export async function releaseIdempotencyKey(
  env: GatekeeperEnv,
  principal: string,
  claim: { id: string; holder: string },
): Promise<void> {
  return call(
    env,
    principal,
    "release",
    (stub) => stub.release(claim.id, claim.holder),
    (local) => {
      local.release(claim.id, claim.holder);
    },
  );
}

/** The principal's admitted units this calendar month (UTC), e.g. `{ month: "2026-11", used: 42 }`. */
export async function monthlyUsage(env: GatekeeperEnv, principal: string): Promise<MonthlyUsage> {
  return call(
    env,
    principal,
    "usage",
    (stub) => stub.usage(),
    (local) => local.usage(Date.now()),
  );
}

/**
 * Read-only: the principal's windows for `rules` as they stand (no charge) and its recent traffic
 * per minute and per day, admitted and refused (the dashboard's usage charts).
 */
export async function gateStats(
  env: GatekeeperEnv,
  principal: string,
  rules: GateRule[],
): Promise<GateStats> {
  assertCheck(rules, 0);
  return call(
    env,
    principal,
    "stats",
    (stub) => stub.stats(rules),
    (local) => local.stats(rules, Date.now()),
  );
}

/** Counts, at `principal`, `count` 429s another principal's Gatekeeper decided for requests of its. */
export async function noteRefusal(env: GatekeeperEnv, principal: string, count = 1): Promise<void> {
  return call(
    env,
    principal,
    "noteRefusal",
    (stub) => stub.noteRefusal(count),
    (local) => local.noteRefusal(Date.now(), count),
  );
}

async function call<T>(
  env: GatekeeperEnv,
  principal: string,
  operation: string,
  remote: (stub: GatekeeperStub) => Promise<T>,
  local: (gate: LocalGate) => T,
  timeoutMs = gatekeeperTimeout(env),
): Promise<T> {
  if (typeof principal !== "string" || principal.length === 0) throw new TypeError("principal must be named");
  const namespace = env.GATEKEEPER;
  if (!namespace) {
    if (env.ENVIRONMENT === "production") throw unavailable(operation, principal, "no GATEKEEPER binding");
    return local(localGate(principal));
  }
  try {
    const stub = namespace.get(namespace.idFromName(principal));
    return await withDeadline("rate limiter", timeoutMs, () => remote(stub));
  } catch (error) {
    throw unavailable(operation, principal, error instanceof Error ? error.message : String(error));
  }
}

function unavailable(operation: string, principal: string, reason: string): ApiError {
  // The principal's kind only: names carry user ids and IP addresses.
  const kind = principal.split(":", 1)[0];
  console.error(JSON.stringify({ level: "error", msg: "gatekeeper unavailable", operation, kind, reason }));
  return new ApiError("unavailable", "The service is briefly unavailable; try again", {
    headers: { "Retry-After": "1" },
  });
}
