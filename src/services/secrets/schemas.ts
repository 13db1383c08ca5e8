import { z } from "zod";
import type { WorkspaceNeed } from "../core/access";
import { epochMs, workspaceScoped } from "../core/schemas";

/** The workspace's secrets: admins, or keys with `secrets:write` (architecture §6). */
export const SECRETS_NEEDS = {
  manage: { role: "admin", scope: "secrets:write" },
} as const satisfies Record<string, WorkspaceNeed>;

export { workspaceScoped } from "../core/schemas";

/** `env` secrets are what functions bind; the others are kept for islet's own integrations. */
export const VAULT_KINDS = ["env", "ai_provider", "generic"] as const;
export type VaultKind = (typeof VAULT_KINDS)[number];

export const secretName = z.string().regex(/^[A-Z][A-Z0-9_]{0,62}$/, "must be UPPER_SNAKE_CASE");
export const secretTarget = workspaceScoped.extend({ name: secretName });
export const setSecretBody = z.strictObject({
  value: z.string().min(1).max(10_000),
  kind: z.enum(VAULT_KINDS).default("env"),
});
export const setSecretInput = secretTarget.extend(setSecretBody.shape);

/** A secret as the API shows it: never the value. */
export const SecretMetadata = z.object({
  name: z.string(),
  kind: z.enum(VAULT_KINDS),
  last4: z.string(),
  fingerprint: z.string(),
  /** The user or key that set the current value. */
  setBy: z.string().nullable(),
  createdAt: epochMs,
  updatedAt: epochMs,
});
export type SecretMetadata = z.infer<typeof SecretMetadata>;
