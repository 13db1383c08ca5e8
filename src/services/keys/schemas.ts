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
  name: z.string().trim().min(1).max(100).describe("A label people recognise, e.g. `billing worker` (1–100)"),
  scopes: z
    .array(z.enum(SCOPE_NAMES as [Scope, ...Scope[]]))
    .min(1)
    .max(SCOPE_NAMES.length)
    .describe("What the key may do; never more than the credential minting it holds"),
  tables: tableAllowlist.describe("Only these tables (null or absent: every table)"),
  perMinute: z
    .number()
    .int()
    .min(1)
    .max(1_000_000)
    .nullable()
    .optional()
    .describe("The key's own request cap per minute, under the plan's (null or absent: the plan's)"),
  monthlyCap: z
    .number()
    .int()
    .min(1)
    .max(10_000_000_000)
    .nullable()
    .optional()
    .describe("The most requests the key may make in a calendar month (null or absent: no cap)"),
  /** Epoch milliseconds. */
  expiresAt: z
    .number()
    .int()
    .positive()
    .nullable()
    .optional()
    .describe("When the key stops working, in epoch milliseconds (null or absent: never)"),
});
export const createKeyInput = createKeyBody.extend(workspaceScoped.shape);
export type CreateKeyInput = z.input<typeof createKeyInput>;

export const rotateKeyBody = z.strictObject({
  graceSeconds: z
    .number()
    .int()
    .min(0)
    .max(MAX_ROTATION_GRACE_SECONDS)
    .optional()
    .describe(
      `How long the old key keeps working, 0–${MAX_ROTATION_GRACE_SECONDS} s; 0 (at once) by default`,
    ),
});
export const keyTarget = workspaceScoped.extend({
  keyId: keyId.describe("The key's id (`key_…`, as list_keys shows it; not its token)"),
});
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
