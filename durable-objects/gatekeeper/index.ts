import { DurableObject } from "cloudflare:workers";
import {
  type AuthFailures,
  assertRevocation,
  type CheckInput,
  type CheckResult,
  type GateStats,
  PrincipalGate,
  type RevokeOptions,
} from "./principal";
import type { GateRule, MonthlyUsage } from "./rate-limit";
import { GateStore } from "./storage";

export type {
  AuthFailures,
  CheckInput,
  CheckResult,
  Credential,
  GateStats,
  RevokeOptions,
} from "./principal";
export type { GateRule } from "./rate-limit";

/** Counters are flushed this long after the first unflushed admission… */
export const FLUSH_INTERVAL_MS = 2_000;
/** …or at once when this many units are pending (bounds what a crash can lose when busy). */
export const FLUSH_AFTER_UNITS = 1_000;

/**
 * The Gatekeeper (architecture §4): one object per principal (`user:<id>`, `key:<id>`,
 * `ip:<addr>:<route>`, `login:<email-hash>`), reached once per request. It is the authority on
 * that principal's rate limits, monthly usage, credential revocations and auth-failure lockout.
 *
 * Why counting in memory is exact: Cloudflare routes every request for a name to the one live
 * instance of its object, and a Durable Object runs its events one at a time on one thread.
 * `check` decides and charges without awaiting anything, so no other call can interleave
 * between "does it fit?" and "charge it" (input gates also hold new events while storage is
 * read). Every decision for a principal is therefore made in a single total order against
 * the same in-memory log — there is no replica to disagree with, unlike per-location limiters.
 *
 * Durability: revocations, the sign-out line and failures are written with the SQL API inside
 * the RPC that makes them; the output gate holds the RPC's reply until the write is durable,
 * so a caller that saw success can rely on it surviving eviction or a restart. Counters are
 * batched (an alarm FLUSH_INTERVAL_MS after the first unflushed admission, or at once after
 * FLUSH_AFTER_UNITS): a crash can lose at most that much counting, never a revocation.
 */
export class Gatekeeper extends DurableObject<Cloudflare.Env> {
  private gate = new PrincipalGate();
  private readonly store: GateStore;
  private flushScheduled = false;

  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    this.store = new GateStore(ctx.storage.sql);
    void ctx.blockConcurrencyWhile(async () => {
      this.store.migrate();
      this.store.load(this.gate, Date.now());
      this.flushScheduled = (await ctx.storage.getAlarm()) !== null;
    });
  }

  /** Revocation first, then lockout, then every rule; an admitted cost is charged to all rules. */
  async check(input: CheckInput): Promise<CheckResult> {
    const result = this.gate.check(input, Date.now());
    if ((result.allowed && this.gate.limiter.pendingUnits > 0) || this.gate.traffic.dirty) {
      await this.scheduleFlush();
    }
    return result;
  }

  /** Counts 429s decided by another principal's object for requests that are this one's too. */
  async noteRefusal(count = 1): Promise<void> {
    // A count from a caller, bounded so one call cannot skew the picture by more than a burst.
    const n = Number.isFinite(count) ? Math.min(Math.max(Math.trunc(count), 0), 1_000_000) : 1;
    this.gate.noteRefusal(Date.now(), n);
    await this.scheduleFlush();
  }

  /** Read-only: the windows of `rules` as they stand and the recent traffic, for people. */
  async stats(rules: GateRule[]): Promise<GateStats> {
    return this.gate.stats(rules, Date.now());
  }

  /** Refuses `credentialId` from `graceUntil` (or at once); durable before this returns. */
  async revoke(credentialId: string, opts: RevokeOptions): Promise<void> {
    assertRevocation(credentialId, opts);
    this.store.saveRevocation(credentialId, this.gate.revoke(credentialId, opts));
  }

  /** "Sign out everywhere": refuses credentials issued before `at`; durable before this returns. */
  async revokeIssuedBefore(at: number): Promise<void> {
    this.store.saveRevokedBefore(this.gate.revokeIssuedBefore(at));
  }

  /**
   * Holds an idempotency key for `holder` (a request id) for `ms`; false if someone else holds
   * it. Durable before this returns, as a revocation is.
   */
  async claim(id: string, holder: string, ms: number): Promise<boolean> {
    const now = Date.now();
    const until = now + ms;
    if (!this.gate.claim(id, holder, until, now)) return false;
    this.store.saveClaim(id, holder, until);
    return true;
  }

  async release(id: string, holder: string): Promise<void> {
    if (this.gate.release(id, holder)) this.store.deleteClaim(id);
  }

  async usage(): Promise<MonthlyUsage> {
    return this.gate.usage(Date.now());
  }

  /** Counts a failed authentication; past a few, every check is refused for a growing time. */
  async recordFailure(): Promise<AuthFailures> {
    const state = this.gate.recordFailure(Date.now());
    this.store.saveFailures(state);
    return { failures: state.failures, lockedUntil: state.lockedUntil };
  }

  async resetFailures(): Promise<void> {
    this.store.saveFailures(this.gate.resetFailures());
  }

  /**
   * Forgets the principal entirely (its workspace or account was deleted): counters, usage,
   * revocations and failures, in storage and in memory. Durable before this returns.
   */
  async forget(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.flushScheduled = false;
    this.gate = new PrincipalGate();
    this.store.migrate();
  }

  override async alarm(): Promise<void> {
    this.flushScheduled = false;
    const now = Date.now();
    this.flush(now);
    for (const id of this.gate.pruneRevocations(now)) this.store.deleteRevocation(id);
  }

  private async scheduleFlush(): Promise<void> {
    if (this.gate.limiter.pendingUnits >= FLUSH_AFTER_UNITS) {
      this.flush(Date.now());
      return;
    }
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    try {
      await this.ctx.storage.setAlarm(Date.now() + FLUSH_INTERVAL_MS);
    } catch {
      // The decision stands and the counts are in memory; the next admission schedules again.
      this.flushScheduled = false;
    }
  }

  private flush(now: number): void {
    const { usage, windows } = this.gate.limiter.takeDirty(now);
    const traffic = this.gate.traffic.dirty ? this.gate.traffic.snapshot(now) : undefined;
    this.ctx.storage.transactionSync(() => {
      this.store.saveCounters(usage, windows);
      if (traffic) this.store.saveTraffic(traffic);
    });
  }
}
