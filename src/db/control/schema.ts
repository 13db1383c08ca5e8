// Drizzle schema of the control database. Mirrors migrations/control/*.sql (the SQL files are
// the source of truth for the database; this file is the typed view of it).
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

import { REGIONS, ROLES } from "../../lib/tenancy";

export { REGIONS, type Region, ROLES, type Role } from "../../lib/tenancy";
export const WORKSPACE_STATUSES = ["provisioning", "active", "deleting"] as const;

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  email: text("email").notNull().unique(),
  name: text("name"),
  passwordHash: text("password_hash"),
  passwordChangedAt: integer("password_changed_at"),
  emailVerifiedAt: integer("email_verified_at"),
  createdAt: integer("created_at").notNull(),
  deletedAt: integer("deleted_at"),
});

export const workspaces = sqliteTable("workspaces", {
  id: text("id").primaryKey(),
  slug: text("slug").notNull().unique(),
  name: text("name").notNull(),
  region: text("region", { enum: REGIONS }).notNull(),
  plan: text("plan", { enum: ["free", "pro", "business", "enterprise"] })
    .notNull()
    .default("free"),
  status: text("status", { enum: WORKSPACE_STATUSES }).notNull().default("provisioning"),
  dbName: text("db_name").notNull().unique(),
  dbUrl: text("db_url"),
  dbTokenEnc: text("db_token_enc"),
  requestKey: text("request_key").unique(),
  createdBy: text("created_by"),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});
export type WorkspaceRow = typeof workspaces.$inferSelect;

export const memberships = sqliteTable(
  "memberships",
  {
    workspaceId: text("workspace_id").notNull(),
    userId: text("user_id").notNull(),
    role: text("role", { enum: ROLES }).notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.userId] }), index("memberships_user").on(t.userId)],
);

export const apiKeys = sqliteTable("api_keys", {
  id: text("id").primaryKey(),
  workspaceId: text("workspace_id").notNull(),
  name: text("name").notNull(),
  secretHash: text("secret_hash").notNull(),
  scopes: text("scopes").notNull().default("[]"),
  tables: text("tables"),
  perMinute: integer("per_minute"),
  monthlyCap: integer("monthly_cap"),
  expiresAt: integer("expires_at"),
  createdBy: text("created_by").notNull(),
  createdAt: integer("created_at").notNull(),
  lastUsedAt: integer("last_used_at"),
  revokedAt: integer("revoked_at"),
  rotatedTo: text("rotated_to"),
  parentId: text("parent_id"),
});

export const sessions = sqliteTable("sessions", {
  id: text("id").primaryKey(),
  userId: text("user_id").notNull(),
  refreshHash: text("refresh_hash").notNull().unique(),
  createdAt: integer("created_at").notNull(),
  lastUsedAt: integer("last_used_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  revokedAt: integer("revoked_at"),
  ip: text("ip"),
  userAgent: text("user_agent"),
});

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
