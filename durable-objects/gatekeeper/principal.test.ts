import { describe, expect, it } from "vitest";
import { LOCKOUT_MAX_MS, PrincipalGate } from "./principal";
import { CALENDAR_MONTH } from "./rate-limit";

// The Gatekeeper's decisions on a simulated clock: exact boundaries without sleeping.
const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const rules = [{ id: "minute", limit: 3, windowMs: 60_000 }];

describe("revocation", () => {
  it("honours a grace period to the millisecond, then refuses", () => {
    const gate = new PrincipalGate();
    const credential = { id: "key_old" };
    gate.revoke("key_old", { at: T0, graceUntil: T0 + 1_000 });
    expect(gate.check({ rules, credential }, T0 + 999)).toMatchObject({ allowed: true, revoked: false });
    expect(gate.check({ rules, credential }, T0 + 1_000)).toMatchObject({ allowed: false, revoked: true });
    // Other credentials of the same principal are untouched.
    expect(gate.check({ rules, credential: { id: "key_new" } }, T0 + 1_000).allowed).toBe(true);
  });

  it("keeps the earliest stop when revoked again, so a grace period never extends", () => {
    const gate = new PrincipalGate();
    gate.revoke("k", { at: T0, graceUntil: T0 + 60_000 });
    gate.revoke("k", { at: T0 + 10 });
    expect(gate.check({ rules, credential: { id: "k" } }, T0 + 10).revoked).toBe(true);
    gate.revoke("k", { at: T0 + 20, graceUntil: T0 + 90_000 });
    expect(gate.check({ rules, credential: { id: "k" } }, T0 + 30).revoked).toBe(true);
  });

  it("charges nothing for a revoked credential's request", () => {
    const gate = new PrincipalGate();
    gate.revoke("s1", { at: T0 });
    for (let i = 0; i < 10; i++) gate.check({ rules, credential: { id: "s1" } }, T0 + i);
    expect(gate.usage(T0).used).toBe(0);
    expect(gate.check({ rules, credential: { id: "s2" } }, T0 + 20)).toMatchObject({
      allowed: true,
      remaining: 2,
    });
  });

  it("signs out everywhere: credentials issued before the line are refused, later ones pass", () => {
    const gate = new PrincipalGate();
    gate.revokeIssuedBefore(T0);
    expect(gate.check({ rules, credential: { id: "a", issuedAt: T0 - 1 } }, T0 + 5).revoked).toBe(true);
    expect(gate.check({ rules, credential: { id: "b", issuedAt: T0 } }, T0 + 5).revoked).toBe(false);
    // Fail closed: a credential that does not say when it was issued is treated as older.
    expect(gate.check({ rules, credential: { id: "c" } }, T0 + 5).revoked).toBe(true);
    // An earlier line never moves it back.
    gate.revokeIssuedBefore(T0 - 60_000);
    expect(gate.check({ rules, credential: { id: "a", issuedAt: T0 - 1 } }, T0 + 6).revoked).toBe(true);
  });

  it("prunes revocations only long after they took effect", () => {
    const gate = new PrincipalGate();
    gate.revoke("old", { at: T0 });
    expect(gate.pruneRevocations(T0 + 30 * 86_400_000)).toEqual([]);
    expect(gate.pruneRevocations(T0 + 91 * 86_400_000)).toEqual(["old"]);
  });
});

describe("auth failure backoff", () => {
  it("locks after the fifth failure for 1 s, doubling per failure up to 15 minutes", () => {
    const gate = new PrincipalGate();
    const locks: number[] = [];
    for (let i = 1; i <= 16; i++) {
      const state = gate.recordFailure(T0);
      expect(state.failures).toBe(i);
      locks.push(state.lockedUntil === 0 ? 0 : state.lockedUntil - T0);
    }
    expect(locks.slice(0, 7)).toEqual([0, 0, 0, 0, 1_000, 2_000, 4_000]);
    expect(locks.at(-1)).toBe(LOCKOUT_MAX_MS);
  });

  it("refuses every check while locked, reporting when to retry, and nothing after a reset", () => {
    const gate = new PrincipalGate();
    for (let i = 0; i < 6; i++) gate.recordFailure(T0);
    const refused = gate.check({ rules }, T0 + 500);
    expect(refused).toMatchObject({ allowed: false, rule: "lockout", retryAfter: 2, resetAt: T0 + 2_000 });
    expect(refused.firstRefusalInWindow).toBe(true);
    expect(gate.check({ rules }, T0 + 600).firstRefusalInWindow).toBe(false);
    expect(gate.check({ rules }, T0 + 2_000).allowed).toBe(true);
    gate.recordFailure(T0 + 2_001);
    expect(gate.check({ rules }, T0 + 2_002).rule).toBe("lockout");
    gate.resetFailures();
    expect(gate.check({ rules }, T0 + 2_003).allowed).toBe(true);
    expect(gate.recordFailure(T0 + 2_004)).toMatchObject({ failures: 1, lockedUntil: 0 });
  });

  it("admits recovery checks (ignoreLockout) during a backoff, still under their own rules", () => {
    const gate = new PrincipalGate();
    for (let i = 0; i < 6; i++) gate.recordFailure(T0);
    expect(gate.check({ rules }, T0 + 1).rule).toBe("lockout");
    const admitted = [0, 1, 2, 3].map((i) => gate.check({ rules, ignoreLockout: true }, T0 + 10 + i));
    expect(admitted.map((r) => r.allowed)).toEqual([true, true, true, false]);
    expect(admitted[3]?.rule).not.toBe("lockout");
  });

  it("forgets failures a day after the last one", () => {
    const gate = new PrincipalGate();
    for (let i = 0; i < 4; i++) gate.recordFailure(T0);
    expect(gate.recordFailure(T0 + 25 * 3_600_000)).toMatchObject({ failures: 1, lockedUntil: 0 });
  });
});

describe("refusal notices", () => {
  it("flags the first refusal per window only, so `ratelimit.exceeded` is audited once", () => {
    const gate = new PrincipalGate();
    for (let i = 0; i < 3; i++) gate.check({ rules }, T0 + i);
    const firsts = [10, 20, 30_000, 59_999].map((t) => gate.check({ rules }, T0 + t).firstRefusalInWindow);
    expect(firsts).toEqual([true, false, false, false]);
    for (let i = 0; i < 3; i++) gate.check({ rules }, T0 + 60_010 + i);
    expect(gate.check({ rules }, T0 + 60_020)).toMatchObject({ allowed: false, firstRefusalInWindow: true });
  });

  it("reports a monthly refusal with the seconds until the month ends", () => {
    const gate = new PrincipalGate();
    const month = [{ id: "key-month", limit: 1, windowMs: CALENDAR_MONTH }];
    gate.check({ rules: month }, T0);
    const refused = gate.check({ rules: month }, T0);
    expect(refused).toMatchObject({ allowed: false, rule: "key-month", resetAt: Date.UTC(2026, 11, 1) });
    expect(refused.retryAfter).toBe((Date.UTC(2026, 11, 1) - T0) / 1000);
  });
});
