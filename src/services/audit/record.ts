import type { Client, InStatement, ResultSet, Transaction } from "@libsql/client/web";
import { isRecordCollision, keyedWriteFor, recordStatements, TENANT_TABLE } from "../../db/idempotency";
import { sha256Hex } from "../../lib/crypto";
import { withCleanupBudget } from "../../lib/deadline";
import { ApiError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { redact } from "../../lib/logger";
import type { ServiceContext } from "../core/context";
import { actorId, assertAction } from "../core/events";

/** An audit event as services describe it; who, when, where and the chain are added here. */
export interface AuditEvent {
  /** `entity.verb`, e.g. `key.revoke`, `table.create`, `mcp.tool_call`. */
  action: string;
  targetType?: string;
  targetId?: string;
  /** Never secret values or tokens; credential-looking fields are redacted regardless. */
  details?: Record<string, unknown>;
}

export interface AuditRow {
  id: string;
  ts: number;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  details: string;
}

export const GENESIS_HASH = "0".repeat(64);

/** The fields of an event in their one fixed order: hashed, inserted and exported in it. */
export const AUDIT_FIELDS = [
  "id",
  "ts",
  "actor_type",
  "actor_id",
  "action",
  "target_type",
  "target_id",
  "ip",
  "user_agent",
  "request_id",
  "details",
] as const satisfies readonly (keyof AuditRow)[];

export const auditValues = (row: AuditRow) => AUDIT_FIELDS.map((field) => row[field]);

/** `INSERT` of `n` chained rows: the fields, then `prev_hash` and `hash`. */
export const auditInsertSql = (n = 1) =>
  `INSERT INTO _islet_audit_log (${AUDIT_FIELDS.join(", ")}, prev_hash, hash) VALUES ${Array.from(
    { length: n },
    () =>
      `(${Array(AUDIT_FIELDS.length + 2)
        .fill("?")
        .join(", ")})`,
  ).join(", ")}`;

const INSERT_ONE = auditInsertSql(1);

/** The canonical text a row's hash covers: fixed field order, JSON-encoded. */
export const canonicalEvent = (row: AuditRow) => JSON.stringify(auditValues(row));

/** `hash = SHA-256(prev_hash || canonical event)` (architecture §9). */
export const chainHash = (prevHash: string, row: AuditRow) => sha256Hex(`${prevHash}${canonicalEvent(row)}`);

/** Actions are `entity.verb` (lower case); a malformed one is a programming error, not user input. */

export function auditRow(ctx: ServiceContext, event: AuditEvent, ts = Date.now()): AuditRow {
  assertAction(event.action);
  return {
    id: newId("aud"),
    ts,
    actor_type: ctx.actor.type,
    actor_id: actorId(ctx.actor),
    action: event.action,
    target_type: event.targetType ?? null,
    target_id: event.targetId ?? null,
    ip: ctx.ip,
    user_agent: ctx.userAgent,
    request_id: ctx.requestId,
    details: JSON.stringify(redact(event.details ?? {})),
  };
}

/** What reading the chain's tail needs: a client, or an open transaction holding the write lock. */
type TailReader = { execute(statement: InStatement): Promise<ResultSet> };

async function chainStatements(tenant: TailReader, rows: AuditRow[]): Promise<InStatement[]> {
  const tail = await tenant.execute("SELECT hash FROM _islet_audit_log ORDER BY seq DESC LIMIT 1");
  let prev = tail.rows[0] ? String(tail.rows[0].hash) : GENESIS_HASH;
  const statements: InStatement[] = [];
  for (const row of rows) {
    const hash = await chainHash(prev, row);
    statements.push({ sql: INSERT_ONE, args: [...auditValues(row), prev, hash] });
    prev = hash;
  }
  return statements;
}

/**
 * Commits `statements` and their audit events in ONE write transaction: the change and its
 * audit rows land together or not at all. Returns the results of `statements` only.
 *
 * The chain is serial, so the writer takes the write lock first (BEGIN IMMEDIATE) and reads the
 * tail inside the transaction: no other writer can append between that read and this commit,
 * so under any concurrency every writer finishes and the chain stays linear (the UNIQUE
 * prev_hash remains the database's own guard). Two round trips: BEGIN + tail read, then change +
 * events + COMMIT — the COMMIT runs only if every statement before it succeeded; otherwise
 * closing the stream rolls everything back. (Optimistic appends retried on a UNIQUE prev_hash
 * collision starved under 8 concurrent writers — 20 lost races in a row — and even with a locked
 * fallback reached 200–300 writes/s against ~500 here: see bench/audit.ts.)
 */
export async function commitWithAudit(
  ctx: ServiceContext,
  tenant: Client,
  statements: InStatement[] | ((tx: Transaction) => Promise<InStatement[]>),
  events: AuditEvent[],
  opts: { change?: boolean } = {},
): Promise<ResultSet[]> {
  // A request with an Idempotency-Key: its record commits with the first change it makes. An
  // event with no change of its own (an upstream call, a failed sign-in) carries none, unless it
  // is the point of no return of a change made elsewhere (auditedControlChange).
  const changes = typeof statements === "function" || statements.length > 0 || opts.change === true;
  const keyed = changes ? keyedWriteFor(tenant) : undefined;
  if (keyed) keyed.writing = true;
  const tx = await tenant.transaction("write").catch((error: unknown) => {
    if (keyed) keyed.writing = false;
    throw error;
  });
  try {
    // A builder runs under the write lock: it may read and write through `tx` (a change that
    // depends on the rows, e.g. recomputing a formula column) and fill in its events' details.
    const change = typeof statements === "function" ? await statements(tx) : statements;
    const audit = await chainStatements(
      tx,
      events.map((e) => auditRow(ctx, e)),
    );
    const record = keyed ? recordStatements(TENANT_TABLE, keyed) : [];
    const results = await tx.batch([...record, ...change, ...audit, "COMMIT"]);
    if (keyed) keyed.written = true;
    return results.slice(record.length, record.length + change.length);
  } catch (error) {
    // Roll back explicitly and wait for it: `close()` alone sends its request in the background,
    // which a Worker may drop once the response is out, leaving the write lock held until the
    // database expires the stream (every other writer meanwhile gets SQLITE_BUSY).
    await withCleanupBudget(() => tx.rollback()).catch(() => undefined);
    if (keyed && isRecordCollision(error, TENANT_TABLE)) {
      // Another request with this key committed first: nothing of this one was kept.
      keyed.collided = true;
      throw new ApiError(
        "idempotency_in_progress",
        "Another request with this Idempotency-Key made its change first",
      );
    }
    throw error;
  } finally {
    if (keyed) keyed.writing = false;
    tx.close();
  }
}

/** An audit event with no accompanying change (e.g. `auth.failed`, `audit.export`). */
export async function recordAudit(
  ctx: ServiceContext,
  tenant: Client,
  event: AuditEvent,
  opts: { change?: boolean } = {},
): Promise<void> {
  await commitWithAudit(ctx, tenant, [], [event], opts);
}

export { actorId, assertAction } from "../core/events";
