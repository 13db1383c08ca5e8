// Drizzle schema of the control database, split by area. Mirrors migrations/control/*.sql (the SQL
// files are the source of truth; test/schema checks the two column by column).
import { index, integer, primaryKey, sqliteTable, text, unique } from "drizzle-orm/sqlite-core";
import { END_USER_ROLES, INVITABLE_ROLES, REGIONS, ROLES } from "../../../lib/tenancy";

export const WORKSPACE_STATUSES = ["provisioning", "active", "deleting"] as const;
export type InvitableRole = (typeof INVITABLE_ROLES)[number];
export type EndUserRole = (typeof END_USER_ROLES)[number];

export const workspaces = sqliteTable("workspaces", {
  id: text("id").primaryKey(),
  slug: text("slug").notNull().unique(),
  name: text("name").notNull(),
  region: text("region", { enum: REGIONS }).notNull(),
  plan: text("plan", { enum: ["free", "pro", "business", "enterprise", "development"] })
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

export const invitations = sqliteTable(
  "invitations",
  {
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull(),
    email: text("email").notNull(),
    role: text("role", { enum: INVITABLE_ROLES }).notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    invitedBy: text("invited_by").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    acceptedAt: integer("accepted_at"),
    acceptedBy: text("accepted_by"),
    revokedAt: integer("revoked_at"),
    /** The token went to the invitee's mailbox only (migrations/control/0012_invitation_mailed.sql). */
    mailedAt: integer("mailed_at"),
  },
  (t) => [index("invitations_workspace").on(t.workspaceId)],
);
export type InvitationRow = typeof invitations.$inferSelect;

export const issuers = sqliteTable(
  "issuers",
  {
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull(),
    name: text("name").notNull(),
    kind: text("kind", { enum: ["hs256", "jwks"] }).notNull(),
    issuer: text("issuer").notNull(),
    audience: text("audience").notNull(),
    secretEnc: text("secret_enc"),
    jwksUrl: text("jwks_url"),
    roleClaim: text("role_claim").notNull().default("role"),
    defaultRole: text("default_role", { enum: END_USER_ROLES }).notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    disabledAt: integer("disabled_at"),
    disabledReason: text("disabled_reason"),
    tables: text("tables"),
  },
  (t) => [unique().on(t.workspaceId, t.issuer)],
);
export type IssuerRow = typeof issuers.$inferSelect;

export const BACKUP_REASONS = ["daily", "pre_migration", "pre_restore", "manual"] as const;
export type BackupReason = (typeof BACKUP_REASONS)[number];

/** A recorded backup point of a workspace's database (migrations/control/0008_backups.sql). */
export const workspaceBackups = sqliteTable(
  "workspace_backups",
  {
    id: text("id").primaryKey(),
    workspaceId: text("workspace_id").notNull(),
    dbName: text("db_name").notNull(),
    kind: text("kind", { enum: ["snapshot", "pitr"] }).notNull(),
    ref: text("ref").notNull(),
    reason: text("reason", { enum: BACKUP_REASONS }).notNull(),
    createdAt: integer("created_at").notNull(),
    /** The end of the provider's point-in-time window for this point (null: a snapshot file). */
    restorableUntil: integer("restorable_until"),
  },
  (t) => [index("workspace_backups_by_workspace").on(t.workspaceId, t.createdAt)],
);
export type WorkspaceBackupRow = typeof workspaceBackups.$inferSelect;

/** Workspaces with webhook endpoints, visited by the webhook sweep (migrations/control/0010). */
export const webhookWorkspaces = sqliteTable(
  "webhook_workspaces",
  {
    workspaceId: text("workspace_id").primaryKey(),
    registeredAt: integer("registered_at").notNull(),
    sweptAt: integer("swept_at"),
  },
  (t) => [index("webhook_workspaces_by_sweep").on(t.sweptAt)],
);

/** Where a job that covers the fleet over several runs stopped (migrations/control/0010). */
export const jobCursors = sqliteTable("job_cursors", {
  job: text("job").primaryKey(),
  cursor: text("cursor"),
  cycleStartedAt: integer("cycle_started_at"),
  updatedAt: integer("updated_at").notNull(),
});
