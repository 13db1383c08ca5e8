import { z } from "zod";
import { tableAllowlist } from "../../lib/grants";
import { END_USER_ROLES } from "../../lib/tenancy";
import type { WorkspaceNeed } from "../core/access";
import { epochMs, idOf, workspaceScoped } from "../core/schemas";

/** Registering who may mint end-user tokens: admins in person. */
export const ISSUERS_NEEDS = {
  manage: { role: "admin", usersOnly: true },
} as const satisfies Record<string, WorkspaceNeed>;

export { workspaceScoped } from "../core/schemas";

export const createIssuerBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  kind: z.enum(["hs256", "jwks"]),
  // RFC 7518 §3.2: an HS256 key is at least 256 bits.
  secret: z.string().min(32).max(512).optional(),
  jwksUrl: z.string().max(2048).optional(),
  audience: z.string().min(1).max(512),
  issuer: z.string().min(1).max(512),
  roleClaim: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,4}$/)
    .optional(),
  // End users are viewers unless the issuer's mapping (roleClaim) or its default says otherwise.
  defaultRole: z.enum(END_USER_ROLES).default("viewer"),
  /** Table allowlist for its end users, as keys have; null or absent: every table. */
  tables: tableAllowlist,
});
export const createIssuerInput = createIssuerBody.extend(workspaceScoped.shape);
export type CreateIssuerInput = z.input<typeof createIssuerInput>;
export const issuerId = idOf("issuer", "an issuer id");
export const issuerTarget = workspaceScoped.extend({ issuerId });

/** An issuer as callers see it: its secret is write-only and never returned (architecture §6). */
export const Issuer = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(["hs256", "jwks"]),
  issuer: z.string(),
  audience: z.string(),
  jwksUrl: z.string().nullable(),
  roleClaim: z.string(),
  defaultRole: z.enum(END_USER_ROLES),
  hasSecret: z.boolean(),
  tables: z.array(z.string()).nullable(),
  createdBy: z.string(),
  createdAt: epochMs,
  /** Set when its creator lost the authority to register it (removed, demoted, taken over). */
  disabledAt: epochMs.nullable(),
  disabledReason: z.string().nullable(),
});
