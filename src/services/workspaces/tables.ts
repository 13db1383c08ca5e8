// Typed (drizzle) view of the control tables added by migrations/control/0003_workspaces.sql.
// They live beside the services that own them rather than in src/db/control/schema.ts so that
// concurrent work on the shared schema file does not collide; the SQL file is the source of truth.
import { index, integer, sqliteTable, text, unique } from "drizzle-orm/sqlite-core";

export const INVITABLE_ROLES = ["admin", "member", "viewer"] as const;
export type InvitableRole = (typeof INVITABLE_ROLES)[number];
export const END_USER_ROLES = ["member", "viewer"] as const;
export type EndUserRole = (typeof END_USER_ROLES)[number];

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
