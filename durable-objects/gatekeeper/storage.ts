import { z } from "zod";
import type { FailureState, PrincipalGate, Revocation } from "./principal";
import type { MonthlyUsage, WindowSnapshot } from "./rate-limit";
import type { TrafficSnapshot } from "./traffic";

/**
 * The Gatekeeper's durable state in its own SQLite database (a SQLite-backed Durable Object).
 * Security state (revocations, the sign-out line, failures and lockouts) is written by the RPC
 * that changes it; counters (monthly usage, sliding windows) are written in batches.
 */

const usageSchema = z.object({
  month: z.string().regex(/^\d{4}-\d{2}$/),
  used: z.number().int().nonnegative(),
});
const failureSchema = z.object({
  failures: z.number().int().nonnegative(),
  lockedUntil: z.number(),
  lastFailureAt: z.number(),
});
const windowSchema = z
  .object({
    windowMs: z.number().int().positive(),
    times: z.array(z.number()),
    costs: z.array(z.number().int().positive()),
  })
  .refine((w) => w.times.length === w.costs.length);

const bucketsSchema = z
  .array(z.tuple([z.number().int(), z.number().int().nonnegative(), z.number().int().nonnegative()]))
  .max(1000);
const trafficSchema = z.object({ minutes: bucketsSchema, days: bucketsSchema });

type Row = Record<string, SqlStorageValue>;

export class GateStore {
  constructor(private readonly sql: SqlStorage) {}

  migrate(): void {
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS gate_revocations (
         credential_id TEXT PRIMARY KEY,
         revoked_at INTEGER NOT NULL,
         effective_at INTEGER NOT NULL
       )`,
    );
    // Small JSON documents by name: usage, revoked_before, failures.
    this.sql.exec("CREATE TABLE IF NOT EXISTS gate_state (name TEXT PRIMARY KEY, value TEXT NOT NULL)");
    this.sql.exec(
      "CREATE TABLE IF NOT EXISTS gate_windows (rule_id TEXT PRIMARY KEY, snapshot TEXT NOT NULL)",
    );
    // Idempotency keys in flight: held across an eviction or restart, until they lapse.
    this.sql.exec(
      "CREATE TABLE IF NOT EXISTS gate_claims (id TEXT PRIMARY KEY, holder TEXT NOT NULL, until INTEGER NOT NULL)",
    );
  }

  /**
   * Loads everything into `gate`. A row that does not parse is dropped for counters (they can
   * only under-count by it) but is fatal for security state, which must never silently vanish.
   */
  load(gate: PrincipalGate, now: number): void {
    for (const row of this.sql.exec<Row>(
      "SELECT credential_id, revoked_at, effective_at FROM gate_revocations",
    )) {
      gate.revocations.set(String(row.credential_id), {
        revokedAt: Number(row.revoked_at),
        effectiveAt: Number(row.effective_at),
      });
    }
    for (const id of gate.pruneRevocations(now)) this.deleteRevocation(id);

    const state = new Map<string, string>();
    for (const row of this.sql.exec<Row>("SELECT name, value FROM gate_state")) {
      state.set(String(row.name), String(row.value));
    }
    const revokedBefore = state.get("revoked_before");
    if (revokedBefore !== undefined) gate.revokeIssuedBefore(z.number().parse(JSON.parse(revokedBefore)));
    const failures = state.get("failures");
    if (failures !== undefined) gate.failureState = failureSchema.parse(JSON.parse(failures));
    const usage = usageSchema.safeParse(parseJson(state.get("usage")));
    if (usage.success) gate.limiter.restoreUsage(usage.data);
    const traffic = trafficSchema.safeParse(parseJson(state.get("traffic")));
    if (traffic.success) gate.traffic.restore(traffic.data, now);

    this.sql.exec("DELETE FROM gate_claims WHERE until <= ?", now);
    for (const row of this.sql.exec<Row>("SELECT id, holder, until FROM gate_claims")) {
      gate.claim(String(row.id), String(row.holder), Number(row.until), now);
    }

    for (const row of this.sql.exec<Row>("SELECT rule_id, snapshot FROM gate_windows")) {
      const snapshot = windowSchema.safeParse(parseJson(String(row.snapshot)));
      if (snapshot.success) gate.limiter.restoreWindow(String(row.rule_id), snapshot.data);
    }
  }

  saveClaim(id: string, holder: string, until: number): void {
    this.sql.exec(
      "INSERT OR REPLACE INTO gate_claims (id, holder, until) VALUES (?, ?, ?)",
      id,
      holder,
      until,
    );
  }

  deleteClaim(id: string): void {
    this.sql.exec("DELETE FROM gate_claims WHERE id = ?", id);
  }

  saveRevocation(credentialId: string, r: Revocation): void {
    this.sql.exec(
      `INSERT INTO gate_revocations (credential_id, revoked_at, effective_at) VALUES (?, ?, ?)
       ON CONFLICT (credential_id) DO UPDATE SET revoked_at = excluded.revoked_at, effective_at = excluded.effective_at`,
      credentialId,
      r.revokedAt,
      r.effectiveAt,
    );
  }

  deleteRevocation(credentialId: string): void {
    this.sql.exec("DELETE FROM gate_revocations WHERE credential_id = ?", credentialId);
  }

  saveRevokedBefore(at: number): void {
    this.putState("revoked_before", at);
  }

  saveFailures(state: FailureState): void {
    this.putState("failures", state);
  }

  /** One batch of counters; called from the flush alarm or when many units are pending. */
  saveCounters(usage: MonthlyUsage | undefined, windows: Map<string, WindowSnapshot | null>): void {
    if (usage) this.putState("usage", usage);
    for (const [ruleId, snapshot] of windows) {
      if (snapshot === null) this.sql.exec("DELETE FROM gate_windows WHERE rule_id = ?", ruleId);
      else {
        this.sql.exec(
          `INSERT INTO gate_windows (rule_id, snapshot) VALUES (?, ?)
           ON CONFLICT (rule_id) DO UPDATE SET snapshot = excluded.snapshot`,
          ruleId,
          JSON.stringify(snapshot),
        );
      }
    }
  }

  /** The traffic picture (charts only), flushed with the counters. */
  saveTraffic(snapshot: TrafficSnapshot): void {
    this.putState("traffic", snapshot);
  }

  private putState(name: string, value: unknown): void {
    this.sql.exec(
      "INSERT INTO gate_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
      name,
      JSON.stringify(value),
    );
  }
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
