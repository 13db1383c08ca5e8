// Drizzle schema of the control database, split by area. Mirrors migrations/control/*.sql (the SQL
// files are the source of truth; test/schema checks the two column by column).
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const securityLog = sqliteTable("security_log", {
  id: text("id").primaryKey(),
  ts: integer("ts").notNull(),
  action: text("action").notNull(),
  actorType: text("actor_type").notNull(),
  actorId: text("actor_id"),
  subjectUserId: text("subject_user_id"),
  ip: text("ip"),
  userAgent: text("user_agent"),
  requestId: text("request_id"),
  details: text("details").notNull().default("{}"),
  purgeAfter: integer("purge_after"),
});

/** Idempotency keys of control-only writes (migrations/control/0009_idempotency.sql), 24 h. */
export const idempotencyRecords = sqliteTable(
  "idempotency_records",
  {
    id: text("id").primaryKey(),
    fingerprint: text("fingerprint").notNull(),
    createdAt: integer("created_at").notNull(),
    status: integer("status"),
    answer: text("answer"),
  },
  (t) => [index("idempotency_records_created").on(t.createdAt)],
);
