// Drizzle schema of the control database, split by area. Mirrors migrations/control/*.sql (the SQL
// files are the source of truth; test/schema checks the two column by column).
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

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
