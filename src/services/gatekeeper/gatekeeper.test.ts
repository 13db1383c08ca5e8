import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { Gatekeeper } from "../../../durable-objects/gatekeeper";
import { planRules } from "../../lib/plans";
import {
  type GatekeeperEnv,
  gate,
  monthlyUsage,
  rateLimitedError,
  rateLimitHeaders,
  recordAuthFailure,
  resetAuthFailures,
  revokeCredential,
  revokeIssuedBefore,
} from ".";

const name = (kind = "test") => `${kind}:${crypto.randomUUID()}`;
const minute = (limit: number) => [{ id: "key-minute", limit, windowMs: 60_000 }];

/**
 * Stand-ins for a Cloudflare Durable Object service that cannot be reached: every call on the
 * stub rejects (as an overloaded or disconnected object does), or never answers.
 */
function unreachableNamespace(behaviour: "rejects" | "hangs"): DurableObjectNamespace<Gatekeeper> {
  const stub = new Proxy(
    {},
    {
      get: () => () =>
        behaviour === "rejects"
          ? Promise.reject(new Error("Network connection lost."))
          : new Promise(() => {}),
    },
  );
  const namespace = { idFromName: (n: string) => ({ name: n }), get: () => stub };
  return namespace as unknown as DurableObjectNamespace<Gatekeeper>;
}

describe("gate() against the real Gatekeeper", () => {
  // The first Durable Object call in a test isolate loads the Worker's module graph through
  // Vite, which on a busy machine can outlast gate()'s 2 s production timeout. Warm it first.
  beforeAll(async () => {
    await gate(env, name("warm"), { rules: [] }, { timeoutMs: 30_000 });
  });

  it("admits within the limit with RateLimit headers, then refuses with a 429 carrying Retry-After", async () => {
    const principal = name("key");
    const admitted = await gate(env, principal, { rules: minute(2) });
    expect(rateLimitHeaders(admitted)).toEqual({
      "RateLimit-Limit": "2",
      "RateLimit-Remaining": "1",
      "RateLimit-Reset": "60",
    });
    await gate(env, principal, { rules: minute(2) });
    const refused = await gate(env, principal, { rules: minute(2) });
    expect(refused).toMatchObject({ allowed: false, rule: "key-minute", remaining: 0 });
    const error = rateLimitedError(refused);
    expect(error).toMatchObject({ status: 429, code: "rate_limited" });
    expect(error.headers["Retry-After"]).toBe(String(refused.retryAfter));
    expect(error.headers["RateLimit-Remaining"]).toBe("0");
  });

  it("records revocations, sign-out lines, failures and usage through the same principal", async () => {
    const principal = name("user");
    const rules = planRules("pro");
    await gate(env, principal, { rules, cost: 3, credential: { id: "ses_a", issuedAt: Date.now() } });
    expect(await monthlyUsage(env, principal)).toMatchObject({ used: 3 });
    await revokeCredential(env, principal, "ses_a", { at: Date.now() });
    expect(
      await gate(env, principal, { rules, credential: { id: "ses_a", issuedAt: Date.now() } }),
    ).toMatchObject({
      allowed: false,
      revoked: true,
    });
    await revokeIssuedBefore(env, principal, Date.now());
    expect((await gate(env, principal, { rules, credential: { id: "ses_b", issuedAt: 1 } })).revoked).toBe(
      true,
    );
    for (let i = 0; i < 8; i++) await recordAuthFailure(env, principal);
    const locked = await gate(env, principal, { rules });
    expect(locked).toMatchObject({ allowed: false, rule: "lockout" });
    // A lockout answers like any limit: no hint that the account's password was being guessed.
    const error = rateLimitedError(locked);
    expect(error).toMatchObject({ status: 429, code: "rate_limited" });
    expect(error.details).toEqual({ retryAfter: locked.retryAfter });
    await resetAuthFailures(env, principal);
    expect((await gate(env, principal, { rules })).allowed).toBe(true);
  });

  it("rejects a malformed check as a programming error before calling the object", async () => {
    await expect(gate(env, name(), { rules: minute(-1) })).rejects.toThrow(TypeError);
    await expect(gate(env, name(), { rules: minute(1), cost: 0.5 })).rejects.toThrow(TypeError);
  });
});

describe("gate() fails closed", () => {
  const production = (GATEKEEPER: DurableObjectNamespace<Gatekeeper>): GatekeeperEnv => ({
    GATEKEEPER,
    ENVIRONMENT: "production",
  });

  it("answers 503 unavailable in production when the object errors, for checks and revocations", async () => {
    const broken = production(unreachableNamespace("rejects"));
    const unavailable = { status: 503, code: "unavailable" };
    await expect(gate(broken, name(), { rules: minute(100) })).rejects.toMatchObject(unavailable);
    await expect(revokeCredential(broken, name(), "k", { at: Date.now() })).rejects.toMatchObject(
      unavailable,
    );
    await expect(recordAuthFailure(broken, name())).rejects.toMatchObject(unavailable);
  });

  it("answers 503 when the object does not answer within the timeout", async () => {
    const silent = production(unreachableNamespace("hangs"));
    await expect(gate(silent, name(), { rules: minute(100) }, { timeoutMs: 20 })).rejects.toMatchObject({
      status: 503,
      code: "unavailable",
    });
  });

  it("answers 503 outside production too when a binding exists but errors (no fallback then)", async () => {
    const broken = { GATEKEEPER: unreachableNamespace("rejects"), ENVIRONMENT: "development" };
    await expect(gate(broken, name(), { rules: minute(100) })).rejects.toMatchObject({ status: 503 });
  });

  it("answers 503 in production when there is no binding at all", async () => {
    await expect(gate({ ENVIRONMENT: "production" }, name(), { rules: minute(100) })).rejects.toMatchObject({
      status: 503,
      code: "unavailable",
    });
  });
});

describe("gate() without a Durable Object, outside production", () => {
  it("falls back to the same exact limiter in memory, with revocation", async () => {
    const local: GatekeeperEnv = { ENVIRONMENT: "development" };
    const principal = name("key");
    const results = await Promise.all(
      Array.from({ length: 10 }, () => gate(local, principal, { rules: minute(4) })),
    );
    expect(results.filter((r) => r.allowed)).toHaveLength(4);
    expect(await monthlyUsage(local, principal)).toMatchObject({ used: 4 });
    await revokeCredential(local, principal, "key_1", { at: Date.now() });
    expect((await gate(local, principal, { rules: [], credential: { id: "key_1" } })).revoked).toBe(true);
    // The fallback is per principal and never touches the real object.
    expect((await gate(env, principal, { rules: minute(4) })).allowed).toBe(true);
  });
});
