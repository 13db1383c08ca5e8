import { z } from "zod";
import { Issuer } from "../issuers/schemas";
import { epochMs } from "../schemas";
import { PendingRecompute } from "../tables/schemas";
import { Webhook } from "../webhooks/schemas";

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

const madeAndMissing = z.object({ set: z.array(z.string()), missing: z.array(z.string()) });

/** What `POST /v1/workspaces/:id/import` made. */
export const WorkspaceImported = z.object({
  tables: z.array(
    z.object({
      name: z.string(),
      rows: z.number().int(),
      /** The formula recompute ran out of this request's sandbox time: resume it (PATCH the table). */
      pendingRecompute: PendingRecompute.optional(),
    }),
  ),
  rows: z.number().int(),
  formulaErrorCount: z.number().int(),
  functions: z.array(z.string()),
  /** Each endpoint with its new signing secret, shown this once. */
  webhooks: z.array(z.object({ webhook: Webhook, secret: z.string() })),
  /** Each issuer; `secret` when the import made a new hs256 secret, shown this once. */
  issuers: z.array(z.object({ issuer: Issuer, secret: z.string().optional() })),
  /** Secrets and API accounts need their values: those the archive did not supply are `missing`. */
  secrets: madeAndMissing,
  accounts: madeAndMissing,
});
export type WorkspaceImported = z.infer<typeof WorkspaceImported>;
