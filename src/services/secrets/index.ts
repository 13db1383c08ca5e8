import type { Client } from "@libsql/client/web";
import { and, eq, inArray } from "drizzle-orm";
import { systemDb } from "../../db/tenant/client";
import { secrets } from "../../db/tenant/schema";
import { decryptSecret, encryptSecret, importKeyring, secretBinding, sha256Hex } from "../../lib/crypto";
import { ApiError } from "../../lib/errors";
import { commitWithAudit } from "../audit";
import { authorizeWorkspace } from "../core/access";
import { assertRoomFor } from "../core/caps";
import { parseInput, type ServiceArgs, type ServiceContext } from "../core/context";
import { actorId } from "../core/events";
import {
  SECRETS_NEEDS,
  type SecretMetadata,
  secretTarget,
  setSecretInput,
  type VaultKind,
  workspaceScoped,
} from "./schemas";

export * from "./schemas";

// Every kind of vault secret keeps the binding function secrets always had, so nothing stored
// before the vault needs re-encrypting.
const binding = (workspaceId: string, name: string) => secretBinding("function_secret", workspaceId, name);

/** Managing the vault: admins, or keys with `secrets:write`. */
const manage = SECRETS_NEEDS.manage;

const metadataColumns = {
  name: secrets.name,
  kind: secrets.kind,
  last4: secrets.last4,
  fingerprint: secrets.fingerprint,
  setBy: secrets.setBy,
  createdAt: secrets.createdAt,
  updatedAt: secrets.updatedAt,
};

/**
 * Sets a secret (architecture §6): stored encrypted, bound to its workspace and name, never returned,
 * never logged. Answers what identifies it: kind, last four characters, fingerprint, who set it.
 */
export async function setSecret({
  ctx,
  input: raw,
}: ServiceArgs<{
  workspaceId: string;
  name: string;
  value: string;
  kind?: VaultKind;
}>): Promise<SecretMetadata> {
  const input = parseInput(setSecretInput, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, manage);
  const keyring = await importKeyring(ctx.config.ISLET_KEYRING);
  const envelope = await encryptSecret(keyring, input.value, binding(input.workspaceId, input.name));
  const now = Date.now();
  const setBy = actorId(ctx.actor) ?? ctx.actor.type;
  const db = await access.db();
  const [existing] = await systemDb(db)
    .select({ createdAt: secrets.createdAt })
    .from(secrets)
    .where(eq(secrets.name, input.name));
  const meta: SecretMetadata = {
    name: input.name,
    kind: input.kind,
    last4: input.value.slice(-4),
    fingerprint: (await sha256Hex(`${input.workspaceId}|${input.value}`)).slice(0, 16),
    setBy,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  await commitWithAudit(
    ctx,
    db,
    // Counted under the write lock (replacing a secret is not a create): parallel sets cannot
    // pass the plan's cap.
    async (tx) => {
      await assertRoomFor(tx, access.workspace.plan, "secrets", input.name);
      return [
        {
          sql: `INSERT INTO _islet_secrets (name, value_enc, last4, fingerprint, kind, set_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET value_enc = excluded.value_enc, last4 = excluded.last4,
                fingerprint = excluded.fingerprint, kind = excluded.kind, set_by = excluded.set_by, updated_at = excluded.updated_at`,
          args: [meta.name, envelope, meta.last4, meta.fingerprint, meta.kind, setBy, now, now],
        },
      ];
    },
    [{ action: "secret.set", targetType: "secret", targetId: input.name, details: { kind: input.kind } }],
  );
  return meta;
}

export async function listSecrets({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string }>): Promise<SecretMetadata[]> {
  const input = parseInput(workspaceScoped, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, manage);
  // Never the value: only what identifies it.
  return systemDb(await access.db())
    .select(metadataColumns)
    .from(secrets)
    .orderBy(secrets.name);
}

export async function getSecret({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; name: string }>): Promise<SecretMetadata> {
  const input = parseInput(secretTarget, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, manage);
  const [row] = await systemDb(await access.db())
    .select(metadataColumns)
    .from(secrets)
    .where(eq(secrets.name, input.name));
  if (!row) throw new ApiError("not_found", `Secret ${input.name} does not exist`);
  return row;
}

export async function deleteSecret({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; name: string }>): Promise<void> {
  const input = parseInput(secretTarget, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, manage);
  const [result] = await commitWithAudit(
    ctx,
    await access.db(),
    [{ sql: "DELETE FROM _islet_secrets WHERE name = ?", args: [input.name] }],
    [{ action: "secret.delete", targetType: "secret", targetId: input.name }],
  );
  if (result?.rowsAffected === 0) throw new ApiError("not_found", `Secret ${input.name} does not exist`);
}

/** Decrypts the named `env` secrets of this workspace for one invocation's `env`. */
export async function secretsFor(
  ctx: ServiceContext,
  db: Client,
  workspaceId: string,
  names: string[],
): Promise<Record<string, string>> {
  if (names.length === 0) return {};
  const rows = await systemDb(db)
    .select({ name: secrets.name, valueEnc: secrets.valueEnc })
    .from(secrets)
    .where(and(inArray(secrets.name, names), eq(secrets.kind, "env")));
  const keyring = await importKeyring(ctx.config.ISLET_KEYRING);
  const env: Record<string, string> = {};
  for (const row of rows) {
    env[row.name] = await decryptSecret(keyring, row.valueEnc, binding(workspaceId, row.name));
  }
  return env;
}
