// Drizzle schema of the control database, split by area. Mirrors migrations/control/*.sql (the SQL
// files are the source of truth; test/schema checks the two column by column).
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

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

export const socketTickets = sqliteTable("socket_tickets", {
  hash: text("hash").primaryKey(),
  workspaceId: text("workspace_id").notNull(),
  credentialType: text("credential_type", { enum: ["key", "session"] }).notNull(),
  credentialId: text("credential_id").notNull(),
  userId: text("user_id").notNull(),
  credentialIssuedAt: integer("credential_issued_at"),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  usedAt: integer("used_at"),
});
