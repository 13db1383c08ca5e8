// Drizzle schema of a tenant database's system tables (the `_islet_*` tables). Mirrors
// migrations/tenant/*.sql, which stay the source of truth; test/schema checks the two column by
// column. Users' own tables have a dynamic shape and are queried with raw, quoted SQL.
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const meta = sqliteTable("_islet_meta", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});

/** Append-only (triggers refuse UPDATE and DELETE); hash-chained (architecture §9). */
export const auditLog = sqliteTable(
  "_islet_audit_log",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull().unique(),
    ts: integer("ts").notNull(),
    actorType: text("actor_type").notNull(),
    actorId: text("actor_id"),
    action: text("action").notNull(),
    targetType: text("target_type"),
    targetId: text("target_id"),
    ip: text("ip"),
    userAgent: text("user_agent"),
    requestId: text("request_id"),
    details: text("details").notNull().default("{}"),
    prevHash: text("prev_hash").notNull().unique(),
    hash: text("hash").notNull(),
  },
  (t) => [index("_islet_audit_log_ts").on(t.ts), index("_islet_audit_log_action").on(t.action)],
);

/** The catalog of users' tables: their columns and indexes as JSON. */
export const catalog = sqliteTable("_islet_tables", {
  name: text("name").primaryKey(),
  columns: text("columns").notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
  indexes: text("indexes").notNull().default("[]"),
  /** An unfinished formula recompute: `{ columns, after }` as JSON. */
  recompute: text("recompute"),
});

export const functions = sqliteTable("_islet_functions", {
  name: text("name").primaryKey(),
  code: text("code").notNull(),
  timeoutMs: integer("timeout_ms").notNull(),
  env: text("env").notNull().default("[]"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
  /** Who bound the secrets in `env` (JSON), re-checked on every invoke. */
  boundBy: text("bound_by"),
});

export const secrets = sqliteTable("_islet_secrets", {
  name: text("name").primaryKey(),
  valueEnc: text("value_enc").notNull(),
  last4: text("last4").notNull(),
  fingerprint: text("fingerprint").notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
  kind: text("kind", { enum: ["env", "ai_provider", "generic"] })
    .notNull()
    .default("env"),
  setBy: text("set_by"),
});

export const apiAccounts = sqliteTable("_islet_api_accounts", {
  name: text("name").primaryKey(),
  baseUrl: text("base_url").notNull(),
  authHeaderName: text("auth_header_name").notNull(),
  authHeaderEnc: text("auth_header_enc").notNull(),
  last4: text("last4").notNull(),
  createdBy: text("created_by").notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
  /** When `createdBy` last stood behind it (null: since `createdAt`). */
  authorizedAt: integer("authorized_at"),
  disabledAt: integer("disabled_at"),
  disabledReason: text("disabled_reason"),
});

export const webhooks = sqliteTable("_islet_webhooks", {
  id: text("id").primaryKey(),
  url: text("url").notNull(),
  events: text("events").notNull(),
  description: text("description").notNull().default(""),
  enabled: integer("enabled").notNull().default(1),
  secretEnc: text("secret_enc").notNull(),
  previousSecretEnc: text("previous_secret_enc"),
  previousUntil: integer("previous_until"),
  failingSince: integer("failing_since"),
  disabledReason: text("disabled_reason"),
  createdBy: text("created_by").notNull(),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
  /** When `createdBy` last stood behind it (null: since `createdAt`). */
  authorizedAt: integer("authorized_at"),
});

export const webhookDeliveries = sqliteTable("_islet_webhook_deliveries", {
  id: text("id").primaryKey(),
  endpointId: text("endpoint_id").notNull(),
  eventType: text("event_type").notNull(),
  payload: text("payload").notNull(),
  status: text("status", { enum: ["pending", "succeeded", "failed"] })
    .notNull()
    .default("pending"),
  attempts: integer("attempts").notNull().default(0),
  lastStatus: integer("last_status"),
  lastLatencyMs: integer("last_latency_ms"),
  responseExcerpt: text("response_excerpt"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
  /** The outbox position of the event it carries (migrations/tenant/0012_webhook_outbox.sql). */
  eventSeq: integer("event_seq"),
  /** When the queue is due to attempt it; a pending delivery long past this is sent again. */
  nextAttemptAt: integer("next_attempt_at"),
});

/** Events written with the change they announce, not yet fanned out to endpoints (architecture §8). */
export const webhookOutbox = sqliteTable("_islet_webhook_outbox", {
  seq: integer("seq").primaryKey({ autoIncrement: true }),
  id: text("id").notNull().unique(),
  eventType: text("event_type").notNull(),
  data: text("data").notNull(),
  createdAt: integer("created_at").notNull(),
});
/** Idempotency keys (migrations/tenant/0010_idempotency.sql): the record of a keyed write, 24 h. */
export const idempotency = sqliteTable(
  "_islet_idempotency",
  {
    id: text("id").primaryKey(),
    fingerprint: text("fingerprint").notNull(),
    createdAt: integer("created_at").notNull(),
    status: integer("status"),
    answer: text("answer"),
  },
  (t) => [index("_islet_idempotency_created").on(t.createdAt)],
);

export { migrationsLedger } from "../ledger";
