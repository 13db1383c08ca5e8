import { describe, expect, it } from "vitest";
import { PLANS, planRules } from "../../src/lib/plans";
import { CALENDAR_MONTH, type GateRule, monthOf, RateLimiter, SlidingWindowLog } from "./rate-limit";

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);
const minute = (limit: number, id = "minute"): GateRule => ({ id, limit, windowMs: MINUTE });

/** A deterministic pseudo-random sequence, so a failure is reproducible. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

describe("sliding window log: exact", () => {
  it("never admits more than the limit in any window, and refuses only when a window is full", () => {
    const next = random(7);
    const limiter = new RateLimiter();
    const rule = { id: "r", limit: 20, windowMs: 1_000 };
    const admitted: { at: number; cost: number }[] = [];
    let now = T0;
    for (let i = 0; i < 5_000; i++) {
      now += Math.floor(next() * 120); // bursts (0 ms apart) and gaps, ~2× the limit on average
      const cost = 1 + Math.floor(next() * 3);
      const inWindow = admitted.filter((a) => a.at > now - rule.windowMs).reduce((s, a) => s + a.cost, 0);
      const verdict = limiter.check([rule], cost, now);
      // Admitted exactly when the last windowMs plus this cost stays within the limit.
      expect(verdict.allowed).toBe(inWindow + cost <= rule.limit);
      if (verdict.allowed) admitted.push({ at: now, cost });
    }
    // Every window (t − windowMs, t] ending at an admission holds at most `limit` units.
    for (const end of admitted) {
      const units = admitted.filter((a) => a.at > end.at - rule.windowMs && a.at <= end.at);
      expect(units.reduce((s, a) => s + a.cost, 0)).toBeLessThanOrEqual(rule.limit);
    }
    expect(admitted.length).toBeGreaterThan(1_000);
  });

  it.each([
    ["free", PLANS.free.perMinute],
    ["enterprise", PLANS.enterprise.perMinute],
    ["an uneven spacing", 7],
  ])("never refuses an honest client evenly spaced at the limit (%s)", (_name, limit) => {
    const limiter = new RateLimiter();
    const rule = minute(limit);
    let refused = 0;
    for (let k = 0; k < 3 * limit; k++) {
      if (!limiter.check([rule], 1, T0 + Math.round((k * MINUTE) / limit)).allowed) refused++;
    }
    expect(refused).toBe(0);
  });

  it("refuses the request that would be one over, then admits it when the window rolls over", () => {
    const limiter = new RateLimiter();
    const rule = minute(3);
    for (const t of [0, 10, 20]) expect(limiter.check([rule], 1, T0 + t).allowed).toBe(true);
    const refused = limiter.check([rule], 1, T0 + 30);
    expect(refused).toMatchObject({ allowed: false, rule: "minute", remaining: 0, resetAt: T0 + MINUTE });
    expect(limiter.check([rule], 1, T0 + MINUTE - 1).allowed).toBe(false);
    expect(limiter.check([rule], 1, T0 + MINUTE).allowed).toBe(true);
    expect(limiter.check([rule], 1, T0 + MINUTE + 9).allowed).toBe(false);
    expect(limiter.check([rule], 1, T0 + MINUTE + 10).allowed).toBe(true);
  });

  it("charges the cost, and reports when a larger cost would fit", () => {
    const limiter = new RateLimiter();
    const rule = minute(10);
    expect(limiter.check([rule], 4, T0)).toMatchObject({ allowed: true, remaining: 6 });
    expect(limiter.check([rule], 4, T0 + 1_000)).toMatchObject({ allowed: true, remaining: 2 });
    const refused = limiter.check([rule], 3, T0 + 2_000);
    expect(refused).toMatchObject({ allowed: false, remaining: 2, resetAt: T0 + MINUTE });
    expect(limiter.check([rule], 2, T0 + 2_000)).toMatchObject({ allowed: true, remaining: 0 });
    expect(limiter.check([rule], 3, T0 + MINUTE).allowed).toBe(true);
    expect(limiter.check([rule], 11, T0 + 10 * MINUTE).allowed).toBe(false);
    expect(limiter.check([rule], 0, T0 + 10 * MINUTE).allowed).toBe(true);
  });

  it("charges no rule when any rule refuses, and reports the tightest rule", () => {
    const limiter = new RateLimiter();
    const plan = minute(100, "plan-minute");
    const key = minute(5, "key-minute");
    for (let i = 0; i < 5; i++) expect(limiter.check([plan, key], 1, T0 + i).allowed).toBe(true);
    expect(limiter.check([plan, key], 1, T0 + 5)).toMatchObject({
      allowed: false,
      rule: "key-minute",
      limit: 5,
    });
    // The refused request did not count against the plan: 5 used, 95 left.
    expect(limiter.peek([plan], T0 + 6)).toMatchObject({ rule: "plan-minute", remaining: 95 });
    expect(limiter.peek([plan, key], T0 + 6)).toMatchObject({ rule: "key-minute", remaining: 0 });
  });

  it("rejects malformed rules and costs as programming errors", () => {
    const limiter = new RateLimiter();
    expect(() => limiter.check([minute(1)], -1, T0)).toThrow(TypeError);
    expect(() => limiter.check([minute(1)], 1.5, T0)).toThrow(TypeError);
    expect(() => limiter.check([minute(1), minute(2)], 1, T0)).toThrow(/twice/);
    expect(() => limiter.check([{ id: "x", limit: Number.NaN, windowMs: 1 }], 1, T0)).toThrow(TypeError);
  });
});

describe("calendar-month quota", () => {
  it("counts per UTC calendar month and starts again on the 1st", () => {
    const limiter = new RateLimiter();
    const rule = { id: "month", limit: 2, windowMs: CALENDAR_MONTH };
    const lastMinuteOfNovember = Date.UTC(2026, 10, 30, 23, 59);
    expect(limiter.check([rule], 1, lastMinuteOfNovember).allowed).toBe(true);
    expect(limiter.check([rule], 1, lastMinuteOfNovember).allowed).toBe(true);
    const refused = limiter.check([rule], 1, lastMinuteOfNovember);
    expect(refused).toMatchObject({ allowed: false, rule: "month", resetAt: Date.UTC(2026, 11, 1) });
    expect(limiter.usage(lastMinuteOfNovember)).toEqual({ month: "2026-11", used: 2 });
    expect(limiter.check([rule], 1, Date.UTC(2026, 11, 1)).allowed).toBe(true);
    expect(limiter.usage(Date.UTC(2026, 11, 1))).toEqual({ month: "2026-12", used: 1 });
    expect(monthOf(Date.UTC(2027, 0, 1) - 1)).toBe("2026-12");
  });

  it("counts usage even with no monthly rule, and a plan's month rule applies to it", () => {
    const limiter = new RateLimiter();
    for (let i = 0; i < 3; i++) limiter.check([minute(100)], 1, T0 + i);
    expect(limiter.usage(T0).used).toBe(3);
    const rules = planRules("free");
    expect(rules).toEqual([
      { id: "plan-minute:free", limit: 100, windowMs: MINUTE },
      { id: "plan-month", limit: 100_000, windowMs: CALENDAR_MONTH },
    ]);
  });
});

describe("persistence of a window", () => {
  it("restores exactly below 1,024 entries and never more permissively above", () => {
    const next = random(11);
    const limit = 5_000;
    const original = new SlidingWindowLog(MINUTE);
    let now = T0;
    for (let i = 0; i < limit; i++) {
      now += Math.floor(next() * 20);
      original.charge(1, now);
    }
    const restored = SlidingWindowLog.restore(JSON.parse(JSON.stringify(original.snapshot(now))));
    expect(restored.used(now)).toBe(original.used(now));
    for (let t = now; t <= now + MINUTE; t += 37) {
      expect(restored.used(t)).toBeGreaterThanOrEqual(original.used(t));
    }
    expect(restored.used(now + MINUTE + 1_000)).toBe(0);

    const small = new SlidingWindowLog(MINUTE);
    for (let i = 0; i < 100; i++) small.charge(1, T0 + i * 7);
    const copy = SlidingWindowLog.restore(small.snapshot(T0 + 700));
    for (let t = T0 + 700; t <= T0 + MINUTE + 800; t += 13) expect(copy.used(t)).toBe(small.used(t));
  });

  it("reports what changed since the last flush, and drops emptied windows", () => {
    const limiter = new RateLimiter();
    limiter.check([minute(10)], 2, T0);
    const first = limiter.takeDirty(T0);
    expect(first.usage).toEqual({ month: "2026-11", used: 2 });
    expect(first.windows.get("minute")?.costs).toEqual([2]);
    expect(limiter.pendingUnits).toBe(0);
    expect(limiter.takeDirty(T0 + 1).usage).toBeUndefined();
    expect(limiter.takeDirty(T0 + MINUTE).windows.get("minute")).toBeNull();
  });
});
