import { z } from "zod";
import type { WorkspaceNeed } from "../core/access";
import { epochMs } from "../core/schemas";

/** A workspace's archive out and in: admins in person (architecture §10). */
export const WORKSPACE_ARCHIVE_NEEDS = {
  export: { role: "admin", usersOnly: true },
  import: { role: "admin", usersOnly: true },
} as const satisfies Record<string, WorkspaceNeed>;

export const deleteAccountBody = z.strictObject({
  /** The account's email address, typed to confirm. */
  confirm: z.string().max(320),
  /** The current password (accounts without one: a sign-in within the last 10 minutes instead). */
  password: z.string().max(1024).optional(),
});
export const deleteAccountInput = deleteAccountBody;

export const verifyCertificateInput = z.strictObject({ certificate: z.string().min(1).max(16_384) });

/** What a deletion removed, as the certificate states it. */
export const DeletionReport = z.object({
  workspacesDeleted: z.array(z.object({ id: z.string(), slug: z.string() })),
  workspacesLeft: z.array(z.string()),
  keysRevoked: z.number().int(),
  sessionsRevoked: z.number().int(),
  identitiesRemoved: z.number().int(),
});
export type DeletionReport = z.infer<typeof DeletionReport>;

export const AccountDeleted = z.object({
  deletedAt: epochMs,
  report: DeletionReport,
  /** The deletion certificate: a JWS (EdDSA) verifiable against /.well-known/jwks.json. */
  certificate: z.string(),
});

export const CertificateCheck = z.union([
  z.object({ valid: z.literal(true), kid: z.string(), claims: z.record(z.string(), z.unknown()) }),
  z.object({ valid: z.literal(false), reason: z.string() }),
]);
