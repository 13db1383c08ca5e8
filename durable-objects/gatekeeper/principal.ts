import {
  assertCheck,
  type GateRule,
  type MonthlyUsage,
  RateLimiter,
  type RuleUse,
  type Verdict,
} from "./rate-limit";
import { type TrafficBucket, TrafficHistory } from "./traffic";

/**
 * Everything one principal's Gatekeeper decides, in memory and clock-free (`now` is passed
 * in): revocation, auth-failure lockout and rate limits. The Durable Object wraps it with
 * persistence; the local fallback (src/services/gatekeeper/local.ts) uses it bare.
 */

export interface Credential {
  id: string;
  /** Epoch ms the credential was issued; needed for `revokeIssuedBefore` ("sign out everywhere"). */
  issuedAt?: number;
}

export interface CheckInput {
  /** Units this request costs (default 1). 0 checks revocation and limits without charging. */
  cost?: number;
  /** Every rule must admit the cost; see GateRule (windowMs 0 = calendar month). */
  rules: GateRule[];
  credential?: Credential;
  /**
   * Admit during a failure backoff (rules still apply). The backoff slows password guessing; it
   * must not also lock the address owner out of recovery (reset request, resend verification),
   * or anyone could deny them their account by failing logins on purpose (OWASP).
   */
  ignoreLockout?: boolean;
}

export interface CheckResult {
  allowed: boolean;
  /** The credential is revoked: answer 401 `credential_revoked`, not 429. */
  revoked: boolean;
  /** Of the most restrictive rule (or the refusing one). Infinity when no rule applies. */
  limit: number;
  remaining: number;
  /** Epoch ms: when refused, when the request would fit; when admitted, when capacity next returns. */
  resetAt: number;
  /** Whole seconds to wait, ≥ 1 when refused by a limit or lockout; 0 when allowed or revoked. */
  retryAfter: number;
  /** The rule that refused (`lockout` for a failure backoff, `revoked`), else the most restrictive. */
  rule?: string;
  /** True once per principal per window of the refusing rule: audit `ratelimit.exceeded` then. */
  firstRefusalInWindow: boolean;
}

/** What a principal's Gatekeeper can show a person: its windows now and its recent traffic. */
export interface GateStats {
  at: number;
  /** Each asked-for rule's units in use now: its sliding window, or the calendar month. */
  windows: RuleUse[];
  /** The last hour, per minute, oldest first. */
  minutes: TrafficBucket[];
  /** The last 30 UTC days, per day, oldest first. */
  days: TrafficBucket[];
}

export interface RevokeOptions {
  /** Epoch ms of the revocation. */
  at: number;
  /** Epoch ms the credential stops working, if later than `at` (a rotation's grace period). */
  graceUntil?: number;
}

export interface Revocation {
  revokedAt: number;
  effectiveAt: number;
}

export interface AuthFailures {
  failures: number;
  /** Epoch ms until which every check on this principal is refused (0 = not locked). */
  lockedUntil: number;
}

export interface FailureState extends AuthFailures {
  lastFailureAt: number;
}

/** Failures tolerated before the backoff starts; then 1 s, 2 s, 4 s … per further failure. */
export const FREE_FAILURES = 4;
export const LOCKOUT_BASE_MS = 1_000;
/** The backoff never locks an account for longer than this (OWASP: avoid permanent lockout). */
export const LOCKOUT_MAX_MS = 15 * 60_000;
/** Failures are forgotten this long after the last one, so old typos never add up. */
export const FAILURE_MEMORY_MS = 24 * 3_600_000;
/**
 * Revocations are kept this long after they take effect. Every credential islet issues is
 * either short-lived (access JWTs, 15 min) or re-checked against the control DB, which keeps
 * its own revoked flag (keys, refresh tokens); this record makes the refusal immediate.
 */
export const REVOCATION_RETENTION_MS = 90 * 86_400_000;

const NO_FAILURES: FailureState = { failures: 0, lockedUntil: 0, lastFailureAt: 0 };

export class PrincipalGate {
  readonly limiter = new RateLimiter();
  /** What was admitted and refused, bucketed for charts; it decides nothing. */
  readonly traffic = new TrafficHistory();
  readonly revocations = new Map<string, Revocation>();
  revokedBefore = 0;
  failureState: FailureState = { ...NO_FAILURES };
  /** Until when a refusal is no longer the first of its window (in memory only: at worst one extra audit). */
  private noticeUntil = 0;
  /**
   * Idempotency keys in flight: key id → who holds it and when the claim lapses. The Durable
   * Object also keeps them in its storage, so an eviction does not free a key still in use.
   */
  private readonly claims = new Map<string, { holder: string; until: number }>();

  check(input: CheckInput, now: number): CheckResult {
    const cost = input.cost ?? 1;
    assertCredential(input.credential);
    if (input.credential && this.isRevoked(input.credential, now)) {
      const state = this.limiter.peek(input.rules, now);
      return {
        ...state,
        allowed: false,
        revoked: true,
        retryAfter: 0,
        rule: "revoked",
        firstRefusalInWindow: false,
      };
    }
    const { lockedUntil } = this.failureState;
    if (lockedUntil > now && !input.ignoreLockout) {
      const state = this.limiter.peek(input.rules, now);
      const first = this.firstRefusal(now, lockedUntil);
      this.traffic.refused(now);
      return refusal({ ...state, rule: "lockout", remaining: 0, resetAt: lockedUntil }, now, first);
    }
    const verdict = this.limiter.check(input.rules, cost, now);
    if (verdict.allowed) {
      this.traffic.admitted(cost, now);
      return { ...verdict, revoked: false, retryAfter: 0, firstRefusalInWindow: false };
    }
    this.traffic.refused(now);
    const window = input.rules.find((r) => r.id === verdict.rule)?.windowMs ?? 0;
    // Month rules (window 0) notice once until the refusal clears, i.e. the month ends.
    const first = this.firstRefusal(now, window > 0 ? now + window : verdict.resetAt);
    return refusal(verdict, now, first);
  }

  /** Merges with an earlier revocation of the same credential: the earliest stop wins. */
  revoke(credentialId: string, opts: RevokeOptions): Revocation {
    assertRevocation(credentialId, opts);
    const effectiveAt = Math.max(opts.at, opts.graceUntil ?? opts.at);
    const earlier = this.revocations.get(credentialId);
    const merged = earlier
      ? {
          revokedAt: Math.min(earlier.revokedAt, opts.at),
          effectiveAt: Math.min(earlier.effectiveAt, effectiveAt),
        }
      : { revokedAt: opts.at, effectiveAt };
    this.revocations.set(credentialId, merged);
    return merged;
  }

  /** Credentials issued before `at` are refused; a later call never moves the line back. */
  revokeIssuedBefore(at: number): number {
    if (!Number.isFinite(at)) throw new TypeError("at must be epoch milliseconds");
    this.revokedBefore = Math.max(this.revokedBefore, at);
    return this.revokedBefore;
  }

  recordFailure(now: number): FailureState {
    const previous =
      now - this.failureState.lastFailureAt > FAILURE_MEMORY_MS ? NO_FAILURES : this.failureState;
    const failures = previous.failures + 1;
    const over = failures - FREE_FAILURES;
    const lockedUntil =
      over > 0
        ? Math.max(previous.lockedUntil, now + Math.min(LOCKOUT_BASE_MS * 2 ** (over - 1), LOCKOUT_MAX_MS))
        : previous.lockedUntil;
    this.failureState = { failures, lockedUntil, lastFailureAt: now };
    return this.failureState;
  }

  resetFailures(): FailureState {
    this.failureState = { ...NO_FAILURES };
    return this.failureState;
  }

  usage(now: number): MonthlyUsage {
    return this.limiter.usage(now);
  }

  /**
   * A refusal decided by another principal's Gatekeeper for a request counted here too (a
   * member's own limit refused a request to this workspace): only the traffic picture changes.
   */
  noteRefusal(now: number, count = 1): void {
    this.traffic.refused(now, count);
  }

  /** The windows of `rules` and the recent traffic, changing no decision. */
  stats(rules: readonly GateRule[], now: number): GateStats {
    assertCheck(rules, 0);
    return { at: now, windows: this.limiter.inUse(rules, now), ...this.traffic.view(now) };
  }

  /**
   * Claims an idempotency key for `holder` until `until`: true if nobody else holds it now. Held
   * claims are bounded by the request deadline, so a request that died never holds its key for
   * longer than that.
   */
  claim(id: string, holder: string, until: number, now: number): boolean {
    assertClaim(id, holder, until);
    const held = this.claims.get(id);
    if (held !== undefined && held.until > now) return false;
    if (this.claims.size >= MAX_CLAIMS) {
      for (const [other, claim] of this.claims) if (claim.until <= now) this.claims.delete(other);
      if (this.claims.size >= MAX_CLAIMS) return false;
    }
    this.claims.set(id, { holder, until });
    return true;
  }

  /** Frees the key if `holder` still holds it (not a later request after this one's lapsed). */
  release(id: string, holder: string): boolean {
    if (this.claims.get(id)?.holder !== holder) return false;
    this.claims.delete(id);
    return true;
  }

  /** Drops revocations past their retention; returns the dropped ids. */
  pruneRevocations(now: number): string[] {
    const dropped: string[] = [];
    for (const [id, r] of this.revocations) {
      if (r.effectiveAt + REVOCATION_RETENTION_MS < now) {
        this.revocations.delete(id);
        dropped.push(id);
      }
    }
    return dropped;
  }

  private isRevoked(credential: Credential, now: number): boolean {
    const revocation = this.revocations.get(credential.id);
    if (revocation && now >= revocation.effectiveAt) return true;
    // Fail closed: after "sign out everywhere", a credential that cannot show when it was
    // issued is treated as issued before.
    return (
      this.revokedBefore > 0 &&
      (credential.issuedAt === undefined || credential.issuedAt < this.revokedBefore)
    );
  }

  private firstRefusal(now: number, until: number): boolean {
    if (now < this.noticeUntil) return false;
    this.noticeUntil = until;
    return true;
  }
}

/** One principal's keys in flight at once, at most (a flood of fresh keys is refused, not stored). */
export const MAX_CLAIMS = 1_000;

export function assertClaim(id: unknown, holder: unknown, until: unknown): void {
  if (typeof id !== "string" || id.length === 0 || id.length > 128)
    throw new TypeError("claim id must be named");
  if (typeof holder !== "string" || holder.length === 0 || holder.length > 128)
    throw new TypeError("claim holder must be named");
  if (typeof until !== "number" || !Number.isFinite(until))
    throw new TypeError("until must be epoch milliseconds");
}

function refusal(verdict: Verdict, now: number, firstRefusalInWindow: boolean): CheckResult {
  return {
    ...verdict,
    allowed: false,
    revoked: false,
    retryAfter: Math.max(1, Math.ceil((verdict.resetAt - now) / 1000)),
    firstRefusalInWindow,
  };
}

export function assertCredential(credential: Credential | undefined): void {
  if (credential === undefined) return;
  if (typeof credential.id !== "string" || credential.id.length === 0) {
    throw new TypeError("credential id must be a non-empty string");
  }
  if (credential.issuedAt !== undefined && !Number.isFinite(credential.issuedAt)) {
    throw new TypeError("credential issuedAt must be epoch milliseconds");
  }
}

export function assertRevocation(credentialId: string, opts: RevokeOptions): void {
  if (typeof credentialId !== "string" || credentialId.length === 0) {
    throw new TypeError("credential id must be a non-empty string");
  }
  if (!Number.isFinite(opts.at) || (opts.graceUntil !== undefined && !Number.isFinite(opts.graceUntil))) {
    throw new TypeError("revocation times must be epoch milliseconds");
  }
}
