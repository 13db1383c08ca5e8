import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { planRules } from "../../src/lib/plans";
import { FLUSH_AFTER_UNITS } from "./index";
import { CALENDAR_MONTH, type GateRule } from "./rate-limit";

// The real Gatekeeper Durable Object in workerd, one fresh principal per test.
const principal = () => env.GATEKEEPER.get(env.GATEKEEPER.idFromName(`test:${crypto.randomUUID()}`));
const minute = (id: string, limit: number): GateRule => ({ id, limit, windowMs: 60_000 });

describe("Gatekeeper: exact limits", () => {
  it("admits exactly the limit when 16 callers race at twice the limit", async () => {
    const stub = principal();
    const rules = [minute("key-minute", 64)];
    const callers = Array.from({ length: 16 }, async () => {
      let admitted = 0;
      for (let i = 0; i < 8; i++) if ((await stub.check({ rules })).allowed) admitted++;
      return admitted;
    });
    const admitted = (await Promise.all(callers)).reduce((a, b) => a + b, 0);
    expect(admitted).toBe(64);
    expect((await stub.usage()).used).toBe(64);
  });

  it("lets the window roll over: refused at the limit, admitted again once resetAt has passed", async () => {
    const stub = principal();
    const rules = [{ id: "tiny", limit: 3, windowMs: 200 }];
    const first = await Promise.all([1, 2, 3, 4].map(() => stub.check({ rules })));
    expect(first.filter((r) => r.allowed)).toHaveLength(3);
    const refused = first.find((r) => !r.allowed);
    expect(refused).toMatchObject({ rule: "tiny", remaining: 0, firstRefusalInWindow: true });
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, (refused?.resetAt ?? 0) - Date.now()) + 5),
    );
    expect((await stub.check({ rules })).allowed).toBe(true);
  });

  it("lets a key's cap below its plan limit win, charging neither rule on refusal", async () => {
    const stub = principal();
    const rules = [...planRules("free"), minute("key-minute", 5)];
    const results = [];
    for (let i = 0; i < 7; i++) results.push(await stub.check({ rules }));
    expect(results.filter((r) => r.allowed)).toHaveLength(5);
    expect(results[4]).toMatchObject({ allowed: true, rule: "key-minute", limit: 5, remaining: 0 });
    expect(results[5]).toMatchObject({
      allowed: false,
      rule: "key-minute",
      limit: 5,
      firstRefusalInWindow: true,
    });
    expect(results[6]?.firstRefusalInWindow).toBe(false);
    expect(await stub.check({ rules: planRules("free"), cost: 0 })).toMatchObject({ remaining: 95 });
  });
});

describe("Gatekeeper: durable state", () => {
  it("keeps the monthly quota across eviction once the flush alarm has run", async () => {
    const stub = principal();
    const rules = [{ id: "key-month", limit: 5, windowMs: CALENDAR_MONTH }];
    for (let i = 0; i < 5; i++) expect((await stub.check({ rules })).allowed).toBe(true);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await evictDurableObject(stub);
    expect(await stub.check({ rules })).toMatchObject({ allowed: false, rule: "key-month" });
    expect(await stub.usage()).toMatchObject({ used: 5 });
  });

  it("flushes at once when many units are pending, without waiting for the alarm", async () => {
    const stub = principal();
    expect((await stub.check({ rules: planRules("pro"), cost: FLUSH_AFTER_UNITS })).allowed).toBe(true);
    await evictDurableObject(stub);
    expect((await stub.usage()).used).toBe(FLUSH_AFTER_UNITS);
    // The sliding window came back too: the pro minute (1,000) is used up.
    expect(await stub.check({ rules: planRules("pro") })).toMatchObject({
      allowed: false,
      rule: "plan-minute:pro",
    });
  });

  it("refuses a revoked credential on the very next check, also after eviction", async () => {
    const stub = principal();
    const credential = { id: "ses_1" };
    expect(await stub.check({ rules: planRules("free"), credential })).toMatchObject({
      allowed: true,
      revoked: false,
    });
    await stub.revoke("ses_1", { at: Date.now() });
    expect(await stub.check({ rules: planRules("free"), credential })).toMatchObject({
      allowed: false,
      revoked: true,
    });
    await evictDurableObject(stub);
    expect((await stub.check({ rules: planRules("free"), credential })).revoked).toBe(true);
    expect((await stub.check({ rules: planRules("free"), credential: { id: "ses_2" } })).allowed).toBe(true);
  });

  it("honours a rotation's grace period until the key is revoked outright", async () => {
    const stub = principal();
    const credential = { id: "key_old" };
    await stub.revoke("key_old", { at: Date.now(), graceUntil: Date.now() + 60_000 });
    expect(await stub.check({ rules: [], credential })).toMatchObject({ allowed: true, revoked: false });
    await stub.revoke("key_old", { at: Date.now() });
    expect(await stub.check({ rules: [], credential })).toMatchObject({ allowed: false, revoked: true });
  });

  it("signs out everywhere: older credentials refused, newer ones admitted, across eviction", async () => {
    const stub = principal();
    const line = Date.now();
    await stub.revokeIssuedBefore(line);
    await evictDurableObject(stub);
    const rules = planRules("free");
    expect((await stub.check({ rules, credential: { id: "old", issuedAt: line - 1_000 } })).revoked).toBe(
      true,
    );
    expect((await stub.check({ rules, credential: { id: "new", issuedAt: line } })).revoked).toBe(false);
  });

  it("backs off failed sign-ins, keeps the lockout across eviction, and resets after success", async () => {
    const stub = principal();
    const rules = [minute("auth-login", 10)];
    const states = [];
    for (let i = 0; i < 10; i++) states.push(await stub.recordFailure());
    expect(states.map((s) => s.failures)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(states.slice(0, 4).every((s) => s.lockedUntil === 0)).toBe(true);
    // Each failure past the fourth pushes the lockout further out (1 s, 2 s, … 16 s).
    for (let i = 5; i < 10; i++)
      expect(states[i]?.lockedUntil).toBeGreaterThan(states[i - 1]?.lockedUntil ?? 0);
    await evictDurableObject(stub);
    const locked = await stub.check({ rules });
    expect(locked).toMatchObject({ allowed: false, revoked: false, rule: "lockout", remaining: 0 });
    expect(locked.retryAfter).toBeGreaterThanOrEqual(1);
    await stub.resetFailures();
    await evictDurableObject(stub);
    expect((await stub.check({ rules })).allowed).toBe(true);
    expect(await stub.recordFailure()).toEqual({ failures: 1, lockedUntil: 0 });
  });
});

describe("Gatekeeper: idempotency keys in flight", () => {
  it("holds a key for one request, across eviction, until its holder releases it or it lapses", async () => {
    const stub = principal();
    expect(await stub.claim("idem_1", "req_a", 60_000)).toBe(true);
    expect(await stub.claim("idem_1", "req_b", 60_000)).toBe(false);
    await evictDurableObject(stub);
    expect(await stub.claim("idem_1", "req_b", 60_000)).toBe(false);
    // Only the holder frees it: a late request whose claim lapsed cannot free its successor's.
    await stub.release("idem_1", "req_b");
    expect(await stub.claim("idem_1", "req_c", 60_000)).toBe(false);
    await stub.release("idem_1", "req_a");
    expect(await stub.claim("idem_1", "req_c", 1)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await stub.claim("idem_1", "req_d", 60_000)).toBe(true);
  });
});
