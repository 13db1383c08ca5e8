import type { Client, InValue, Row } from "@libsql/client/web";
import type { z } from "zod";
import type { AuditRow } from "./record";
import type { AuditEntry as AuditEntrySchema } from "./schemas";

/** An audit row as stored, with its position and chain links. */
export interface StoredAuditRow extends AuditRow {
  seq: number;
  prev_hash: string;
  hash: string;
}

/** An audit event as the API returns it. */
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

/** Query and export filters. `from` is inclusive, `to` exclusive (epoch ms). */
export interface AuditFilter {
  /** Exact action (`key.revoke`) or every action of an entity (`key.*`). */
  action?: string;
  /** The actor's id: a user id, key id, operator id, `issuer:subject` of an end user. */
  actor?: string;
  from?: number;
  to?: number;
}

const COLUMNS = `seq, id, ts, actor_type, actor_id, action, target_type, target_id, ip, user_agent,
  request_id, details, prev_hash, hash`;

const text = (v: unknown) => (v === null || v === undefined ? null : String(v));

export function storedRow(r: Row): StoredAuditRow {
  return {
    seq: Number(r.seq),
    id: String(r.id),
    ts: Number(r.ts),
    actor_type: String(r.actor_type),
    actor_id: text(r.actor_id),
    action: String(r.action),
    target_type: text(r.target_type),
    target_id: text(r.target_id),
    ip: text(r.ip),
    user_agent: text(r.user_agent),
    request_id: text(r.request_id),
    details: String(r.details),
    prev_hash: String(r.prev_hash),
    hash: String(r.hash),
  };
}

function parseDetails(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    // A row written behind the API's back may hold anything; show it rather than fail the page.
    return raw;
  }
}

export function toEntry(row: StoredAuditRow): AuditEntry {
  return {
    seq: row.seq,
    id: row.id,
    ts: row.ts,
    actor: { type: row.actor_type, id: row.actor_id },
    action: row.action,
    target: { type: row.target_type, id: row.target_id },
    ip: row.ip,
    userAgent: row.user_agent,
    requestId: row.request_id,
    details: parseDetails(row.details),
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

function filterClauses(filter: AuditFilter): { where: string[]; args: InValue[] } {
  const where: string[] = [];
  const args: InValue[] = [];
  if (filter.action?.endsWith(".*")) {
    const prefix = filter.action.slice(0, -1); // keeps the dot: `key.*` → `key.`
    where.push("substr(action, 1, ?) = ?");
    args.push(prefix.length, prefix);
  } else if (filter.action !== undefined) {
    where.push("action = ?");
    args.push(filter.action);
  }
  if (filter.actor !== undefined) {
    where.push("actor_id = ?");
    args.push(filter.actor);
  }
  if (filter.from !== undefined) {
    where.push("ts >= ?");
    args.push(filter.from);
  }
  if (filter.to !== undefined) {
    where.push("ts < ?");
    args.push(filter.to);
  }
  return { where, args };
}

/**
 * One keyset page (never OFFSET): rows after `afterSeq` ascending up to `upToSeq`, or before
 * `beforeSeq` descending. Each page is one bounded query, so callers stream any log size.
 */
export async function readAuditPage(
  tenant: Client,
  page: { filter?: AuditFilter; limit: number } & (
    | { order: "asc"; afterSeq: number; upToSeq?: number }
    | { order: "desc"; beforeSeq?: number }
  ),
): Promise<StoredAuditRow[]> {
  const { where, args } = filterClauses(page.filter ?? {});
  if (page.order === "asc") {
    where.push("seq > ?");
    args.push(page.afterSeq);
    if (page.upToSeq !== undefined) {
      where.push("seq <= ?");
      args.push(page.upToSeq);
    }
  } else if (page.beforeSeq !== undefined) {
    where.push("seq < ?");
    args.push(page.beforeSeq);
  }
  const clause = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
  const direction = page.order === "asc" ? "ASC" : "DESC";
  const result = await tenant.execute({
    sql: `SELECT ${COLUMNS} FROM _islet_audit_log ${clause} ORDER BY seq ${direction} LIMIT ?`,
    args: [...args, page.limit],
  });
  return result.rows.map(storedRow);
}

/** The newest row's seq (0 for an empty log). */
export async function lastSeq(tenant: Client): Promise<number> {
  const result = await tenant.execute("SELECT COALESCE(MAX(seq), 0) AS seq FROM _islet_audit_log");
  return Number(result.rows[0]?.seq ?? 0);
}
