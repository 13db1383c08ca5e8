/**
 * Exact rate limiting (architecture §4): a sliding window log per rule and a calendar-month counter.
 * Pure and clock-free — every call takes `now` — so the Gatekeeper Durable Object and the local
 * in-memory fallback run the very same decisions, and tests drive them with a simulated clock.
 *
 * Why a sliding window *log* and not the usual alternatives:
 * - a fixed window admits up to 2 × limit across a window boundary;
 * - a sliding window *counter* (weighted previous window) estimates, so it over- or
 *   under-admits depending on how the previous window's traffic was spread;
 * - GCRA or a token bucket with a burst of `limit` admits `limit` at once and then one per
 *   windowMs/limit, close to 2 × limit in the first window; with a small burst it refuses an
 *   honest client that sends a short burst while staying under the limit.
 * The log admits `cost` units iff the half-open window (now − windowMs, now] holds at most
 * `limit − cost` admitted units. So no window of length windowMs ever holds more than `limit`
 * (exact), and a refusal always means the last windowMs really holds too much (no false
 * positives): a client sending one request every windowMs/limit is never refused, because the
 * request sent exactly windowMs earlier has just left the half-open window.
 * Memory is one entry per distinct millisecond (same-millisecond costs merge), at most
 * min(limit, windowMs) entries: 50,000 for enterprise, under 1 MB per principal.
 */

import { CALENDAR_MONTH, type GateRule } from "../../src/lib/rate-rules";

export { CALENDAR_MONTH, type GateRule };

/** What one rule set decided: on refusal the blocking rule, else the most restrictive one. */
export interface Verdict {
  allowed: boolean;
  /** The rule reported (refusing or most restrictive); undefined when no rule applies. */
  rule?: string;
  limit: number;
  remaining: number;
  /** Epoch ms: when admitted, the next moment capacity returns; when refused, when `cost` fits. */
  resetAt: number;
}

export interface WindowSnapshot {
  windowMs: number;
  /** Ascending timestamps (epoch ms) and the units admitted at each. */
  times: number[];
  costs: number[];
}

/** One rule's units in use at a moment (its sliding window's, or the month's). */
export interface RuleUse {
  id: string;
  limit: number;
  windowMs: number;
  used: number;
}

export interface MonthlyUsage {
  month: string;
  used: number;
}

/** Snapshots keep at most this many entries per window; beyond it timestamps are coarsened. */
const MAX_SNAPSHOT_ENTRIES = 1024;
/** Consumed log entries are dropped in batches, so the array shifts rarely. */
const COMPACT_AFTER = 1024;

export function assertCheck(rules: readonly GateRule[], cost: number): void {
  if (!Number.isSafeInteger(cost) || cost < 0) throw new TypeError("cost must be a non-negative integer");
  const ids = new Set<string>();
  for (const rule of rules) {
    if (typeof rule.id !== "string" || rule.id.length === 0 || rule.id.length > 128) {
      throw new TypeError("rule id must be 1–128 characters");
    }
    if (ids.has(rule.id)) throw new TypeError(`rule "${rule.id}" appears twice`);
    ids.add(rule.id);
    if (!Number.isSafeInteger(rule.limit) || rule.limit < 0) {
      throw new TypeError(`rule "${rule.id}": limit must be a non-negative integer`);
    }
    if (!Number.isSafeInteger(rule.windowMs) || rule.windowMs < 0) {
      throw new TypeError(`rule "${rule.id}": windowMs must be a non-negative integer (0 = calendar month)`);
    }
  }
}

/** `2026-11` for any instant in November 2026, UTC. */
export const monthOf = (now: number): string => new Date(now).toISOString().slice(0, 7);

export function nextMonthStart(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** The admitted units of one rule in its sliding window, oldest first. */
export class SlidingWindowLog {
  private times: number[] = [];
  private costs: number[] = [];
  private head = 0;
  private total = 0;

  constructor(public windowMs: number) {}

  static restore(snapshot: WindowSnapshot): SlidingWindowLog {
    const log = new SlidingWindowLog(snapshot.windowMs);
    snapshot.times.forEach((time, i) => {
      log.charge(snapshot.costs[i] ?? 0, time);
    });
    return log;
  }

  /** Units admitted in (now − windowMs, now]. */
  used(now: number): number {
    this.expire(now);
    return this.total;
  }

  /**
   * When `cost` more units fit under `limit`: now if they already do, else the moment enough
   * of the oldest units leave the window. A cost above the limit never fits; the moment the
   * window empties is reported then.
   */
  fitsAt(limit: number, cost: number, now: number): number {
    this.expire(now);
    let excess = this.total + cost - limit;
    if (excess <= 0) return now;
    for (let i = this.head; i < this.times.length; i++) {
      excess -= this.costs[i] as number;
      if (excess <= 0) return (this.times[i] as number) + this.windowMs;
    }
    return this.emptyAt(now);
  }

  /** The next moment some capacity returns (the oldest unit leaves), or now if empty. */
  nextExpiry(now: number): number {
    this.expire(now);
    return this.head < this.times.length ? (this.times[this.head] as number) + this.windowMs : now;
  }

  charge(cost: number, now: number): void {
    if (cost === 0) return;
    const last = this.times.length - 1;
    // A clock that steps back never lets a unit leave early: it is recorded at the newest time.
    const at = last >= this.head ? Math.max(now, this.times[last] as number) : now;
    if (last >= this.head && this.times[last] === at) this.costs[last] = (this.costs[last] as number) + cost;
    else {
      this.times.push(at);
      this.costs.push(cost);
    }
    this.total += cost;
  }

  /**
   * A serialisable copy. Past MAX_SNAPSHOT_ENTRIES entries, timestamps are rounded *up* to a
   * grain of windowMs/1024: a restored unit then stays in the window slightly longer, never
   * shorter, so a restore can only be stricter than the original, never admit more.
   */
  snapshot(now: number): WindowSnapshot {
    this.expire(now);
    const count = this.times.length - this.head;
    const grain = count > MAX_SNAPSHOT_ENTRIES ? Math.ceil(this.windowMs / MAX_SNAPSHOT_ENTRIES) : 1;
    const times: number[] = [];
    const costs: number[] = [];
    for (let i = this.head; i < this.times.length; i++) {
      const time = Math.ceil((this.times[i] as number) / grain) * grain;
      const cost = this.costs[i] as number;
      if (times.at(-1) === time) costs[costs.length - 1] = (costs.at(-1) as number) + cost;
      else {
        times.push(time);
        costs.push(cost);
      }
    }
    return { windowMs: this.windowMs, times, costs };
  }

  private emptyAt(now: number): number {
    const newest = this.times.at(-1);
    return newest === undefined || this.head >= this.times.length
      ? now + this.windowMs
      : newest + this.windowMs;
  }

  private expire(now: number): void {
    const edge = now - this.windowMs;
    while (this.head < this.times.length && (this.times[this.head] as number) <= edge) {
      this.total -= this.costs[this.head] as number;
      this.head++;
    }
    if (this.head === this.times.length) {
      this.times = [];
      this.costs = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.times.length) {
      this.times = this.times.slice(this.head);
      this.costs = this.costs.slice(this.head);
      this.head = 0;
    }
  }
}

interface RuleEvaluation {
  rule: GateRule;
  used: number;
  fits: boolean;
  /** When refused: when the cost fits. When admitted: the next moment capacity returns. */
  resetAt: number;
}

/**
 * One principal's limiter: a sliding window per rule id plus the month's admitted units.
 * `check` charges the cost to every rule only if all of them admit it, so a refused request
 * costs nothing anywhere. Every admitted unit counts towards the month, with or without a
 * monthly rule, so `usage` is the principal's billable usage.
 */
export class RateLimiter {
  private readonly windows = new Map<string, SlidingWindowLog>();
  private month = "";
  private used = 0;
  private readonly dirtyWindows = new Set<string>();
  private usageDirty = false;
  /** Units admitted since the last `takeDirty` (lets the owner flush early when busy). */
  pendingUnits = 0;

  check(rules: readonly GateRule[], cost: number, now: number): Verdict {
    assertCheck(rules, cost);
    this.rollMonth(now);
    const evaluations = rules.map((rule) => this.evaluate(rule, cost, now));
    const refused = evaluations.filter((e) => !e.fits);
    if (refused.length > 0) {
      // All refusing rules must clear before the request fits: report the one that clears last.
      const blocking = refused.reduce((a, b) => (b.resetAt > a.resetAt ? b : a));
      return verdictOf(blocking, false);
    }
    if (cost > 0) {
      for (const rule of rules) {
        if (rule.windowMs !== CALENDAR_MONTH) {
          this.windowFor(rule).charge(cost, now);
          this.dirtyWindows.add(rule.id);
        }
      }
      this.used += cost;
      this.usageDirty = true;
      this.pendingUnits += cost;
    }
    return mostRestrictive(
      rules.map((rule) => this.evaluate(rule, 0, now)),
      now,
    );
  }

  /** The state of `rules` as it stands, charging nothing (for requests refused before counting). */
  peek(rules: readonly GateRule[], now: number): Verdict {
    assertCheck(rules, 0);
    return mostRestrictive(
      rules.map((rule) => this.evaluate(rule, 0, now)),
      now,
    );
  }

  /** Each rule's units in use now, charging nothing and creating no window. */
  inUse(rules: readonly GateRule[], now: number): RuleUse[] {
    return rules.map((rule) => ({
      id: rule.id,
      limit: rule.limit,
      windowMs: rule.windowMs,
      used:
        rule.windowMs === CALENDAR_MONTH
          ? monthOf(now) === this.month
            ? this.used
            : 0
          : (this.windows.get(rule.id)?.used(now) ?? 0),
    }));
  }

  usage(now: number): MonthlyUsage {
    this.rollMonth(now);
    return { month: this.month, used: this.used };
  }

  restoreUsage(usage: MonthlyUsage): void {
    this.month = usage.month;
    this.used = usage.used;
  }

  restoreWindow(ruleId: string, snapshot: WindowSnapshot): void {
    this.windows.set(ruleId, SlidingWindowLog.restore(snapshot));
  }

  /**
   * What changed since the last call, for persistence: the month's usage if it changed, and
   * each changed window's snapshot (null for one that emptied and was dropped).
   */
  takeDirty(now: number): { usage?: MonthlyUsage; windows: Map<string, WindowSnapshot | null> } {
    const windows = new Map<string, WindowSnapshot | null>();
    for (const [id, log] of this.windows) {
      if (log.used(now) === 0) {
        this.windows.delete(id);
        windows.set(id, null);
      } else if (this.dirtyWindows.has(id)) windows.set(id, log.snapshot(now));
    }
    const usage = this.usageDirty ? this.usage(now) : undefined;
    this.dirtyWindows.clear();
    this.usageDirty = false;
    this.pendingUnits = 0;
    return usage ? { usage, windows } : { windows };
  }

  private evaluate(rule: GateRule, cost: number, now: number): RuleEvaluation {
    if (rule.windowMs === CALENDAR_MONTH) {
      this.rollMonth(now);
      return { rule, used: this.used, fits: this.used + cost <= rule.limit, resetAt: nextMonthStart(now) };
    }
    const log = this.windowFor(rule);
    const used = log.used(now);
    const fits = used + cost <= rule.limit;
    return { rule, used, fits, resetAt: fits ? log.nextExpiry(now) : log.fitsAt(rule.limit, cost, now) };
  }

  private windowFor(rule: GateRule): SlidingWindowLog {
    let log = this.windows.get(rule.id);
    if (!log) {
      log = new SlidingWindowLog(rule.windowMs);
      this.windows.set(rule.id, log);
    }
    // A rule may change its window (a plan change); the admitted units are kept.
    log.windowMs = rule.windowMs;
    return log;
  }

  private rollMonth(now: number): void {
    const month = monthOf(now);
    if (month === this.month) return;
    // Calendar months only move forward; a clock stepping back never restores an old count.
    if (month < this.month) return;
    this.month = month;
    this.used = 0;
    this.usageDirty = true;
  }
}

function verdictOf(e: RuleEvaluation, allowed: boolean): Verdict {
  return {
    allowed,
    rule: e.rule.id,
    limit: e.rule.limit,
    remaining: Math.max(0, e.rule.limit - e.used),
    resetAt: e.resetAt,
  };
}

/** The rule with the least remaining; ties go to the one whose capacity returns last. */
function mostRestrictive(evaluations: RuleEvaluation[], now: number): Verdict {
  // No rule, no limit: headers are left out for such results (see rateLimitHeaders).
  if (evaluations.length === 0) {
    return {
      allowed: true,
      limit: Number.POSITIVE_INFINITY,
      remaining: Number.POSITIVE_INFINITY,
      resetAt: now,
    };
  }
  const remaining = (e: RuleEvaluation) => e.rule.limit - e.used;
  const tightest = evaluations.reduce((a, b) =>
    remaining(b) < remaining(a) || (remaining(b) === remaining(a) && b.resetAt > a.resetAt) ? b : a,
  );
  return verdictOf(tightest, true);
}
