import { z } from "zod";
import { tableAllowlist } from "../../lib/grants";
import { SCOPE_NAMES, type Scope } from "../../lib/scopes";
import type { WorkspaceNeed } from "../core/access";
import { epochMs, idOf, workspaceScoped } from "../core/schemas";

/** Key management: admins, or keys with `keys:manage` (architecture §3). */
export const KEYS_NEEDS = {
  manage: { role: "admin", scope: "keys:manage" },
} as const satisfies Record<string, WorkspaceNeed>;

/** The longest a rotated-out key may keep working (architecture §3: "after a stated grace period"). */
export const MAX_ROTATION_GRACE_SECONDS = 86_400;

export const keyId = idOf("key", "an API key id");

export const createKeyBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scopes: z
    .array(z.enum(SCOPE_NAMES as [Scope, ...Scope[]]))
    .min(1)
    .max(SCOPE_NAMES.length),
  tables: tableAllowlist,
  perMinute: z.number().int().min(1).max(1_000_000).nullable().optional(),
  monthlyCap: z.number().int().min(1).max(10_000_000_000).nullable().optional(),
  /** Epoch milliseconds. */
  expiresAt: z.number().int().positive().nullable().optional(),
});
export const createKeyInput = createKeyBody.extend(workspaceScoped.shape);
export type CreateKeyInput = z.input<typeof createKeyInput>;

export const rotateKeyBody = z.strictObject({
  graceSeconds: z.number().int().min(0).max(MAX_ROTATION_GRACE_SECONDS).optional(),
});
export const keyTarget = workspaceScoped.extend({ keyId });
export const rotateKeyInput = keyTarget.extend(rotateKeyBody.shape);

export const KeyStatus = z.enum(["active", "rotating", "revoked", "expired"]);
export type KeyStatus = z.infer<typeof KeyStatus>;

/** What a key looks like after creation: its prefix and metadata, never its secret or hash. */
export const KeyView = z.object({
  id: z.string(),
  name: z.string(),
  /** Enough to recognise the key in a list; the secret part is never shown again. */
  prefix: z.string(),
  scopes: z.array(z.string()),
  tables: z.array(z.string()).nullable(),
  perMinute: z.number().int().nullable(),
  monthlyCap: z.number().int().nullable(),
  expiresAt: epochMs.nullable(),
  createdBy: z.string(),
  createdAt: epochMs,
  lastUsedAt: epochMs.nullable(),
  revokedAt: epochMs.nullable(),
  rotatedTo: z.string().nullable(),
  status: KeyStatus,
});
export type KeyView = z.infer<typeof KeyView>;

/** A new key and its token, which is shown this once and never stored. */
export const CreatedKey = z.object({ key: KeyView, token: z.string() });
export type CreatedKey = z.infer<typeof CreatedKey>;
export { workspaceScoped } from "../core/schemas";
