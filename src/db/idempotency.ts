// The record of a keyed write as the commit that makes the change sees it. A request with an
// Idempotency-Key runs inside `withKeyedWrite`; the first commit to the record's database
// (commitWithAudit, services/audit/record.ts) carries the record's INSERT in its own transaction,
// so "the change committed" and "the key is used" are one fact. The state travels with the
// request's async context, as the deadline budget does (src/lib/deadline.ts), so every verb below
// a route or tool is covered without passing it along.
import { AsyncLocalStorage } from "node:async_hooks";
import type { Client, InStatement } from "@libsql/client/web";
import { sqliteConstraint } from "./errors";
import { tenantOf } from "./tenant/client";

/** How long a key's record is kept (Stripe and the IETF draft: at least 24 hours). */
export const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

/** The two places a record can live: a workspace's database, or the control database. */
export const TENANT_TABLE = "_islet_idempotency";
export const CONTROL_TABLE = "idempotency_records";

export interface KeyedWrite {
  /** SHA-256 of the principal and the key. */
  readonly id: string;
  /** SHA-256 of the operation and its input. */
  readonly fingerprint: string;
  /** The workspace whose database holds the record; undefined: the control database. */
  readonly workspaceId: string | undefined;
  /** A commit carrying the record succeeded. */
  written: boolean;
  /** A commit carrying the record is under way: a concurrent one in the same request carries none. */
  writing: boolean;
  /** The record's INSERT collided: another request with this key committed first. */
  collided: boolean;
  /** The keyed run is over: background work it started carries no record. */
  closed: boolean;
}

const current = new AsyncLocalStorage<KeyedWrite>();

export const withKeyedWrite = <T>(write: KeyedWrite, run: () => Promise<T>): Promise<T> =>
  current.run(write, run);

/** The keyed write of this request, if it has an Idempotency-Key. */
export const currentKeyedWrite = (): KeyedWrite | undefined => current.getStore();

/** A key's record as its table holds it. */
export interface StoredRecord {
  fingerprint: string;
  createdAt: number;
  status: number | null;
  answer: string | null;
}

/** A key's record in `table`, unless it is past its 24 h. */
export async function findRecord(db: Client, table: string, id: string): Promise<StoredRecord | undefined> {
  const result = await db.execute({
    sql: `SELECT fingerprint, created_at, status, answer FROM ${table} WHERE id = ? AND created_at >= ?`,
    args: [id, Date.now() - IDEMPOTENCY_TTL_MS],
  });
  const row = result.rows[0];
  if (!row) return undefined;
  return {
    fingerprint: String(row.fingerprint),
    createdAt: Number(row.created_at),
    status: row.status === null ? null : Number(row.status),
    answer: row.answer === null ? null : String(row.answer),
  };
}

/** The open keyed write whose record belongs in the database `tenant` reaches, if any. */
export function keyedWriteFor(tenant: Client): KeyedWrite | undefined {
  const write = current.getStore();
  if (!write || write.closed || write.written || write.writing) return undefined;
  if (write.workspaceId === undefined || tenantOf(tenant) !== write.workspaceId) return undefined;
  return write;
}

/**
 * The record's statements, first in the change's transaction: expired records go (the table
 * cleans itself, no job needed), then the INSERT, which fails on a key already used, aborting the
 * whole transaction before the change.
 */
export function recordStatements(table: string, write: KeyedWrite, now = Date.now()): InStatement[] {
  return [
    expireStatement(table, now),
    {
      sql: `INSERT INTO ${table} (id, fingerprint, created_at) VALUES (?, ?, ?)`,
      args: [write.id, write.fingerprint, now],
    },
  ];
}

/** Deletes a table's records past their 24 h. */
export const expireStatement = (table: string, now = Date.now()): InStatement => ({
  sql: `DELETE FROM ${table} WHERE created_at < ?`,
  args: [now - IDEMPOTENCY_TTL_MS],
});

/** The error of a record's INSERT that met a record already there. */
export function isRecordCollision(error: unknown, table: string): boolean {
  const violation = sqliteConstraint(error);
  return violation?.kind === "unique" && violation.table === table && violation.column === "id";
}
