import type { Client } from "@libsql/client/web";
import { inArray } from "drizzle-orm";
import { systemDb } from "../../db/tenant/client";
import { secrets } from "../../db/tenant/schema";
import { decryptSecret, encryptSecret, importKeyring, type SecretBinding, sha256Hex } from "../../lib/crypto";
import { authorizeWorkspace } from "../access";
import { commitWithAudit } from "../audit";
import { parseInput, type ServiceArgs, type ServiceContext } from "../context";
import { type SecretMetadata, setSecretInput, workspaceScoped } from "./schemas";

const binding = (workspaceId: string, name: string): SecretBinding => ({
  workspaceId,
  kind: "function_secret",
  recordId: name,
});

/** Sets a function secret (DESIGN §6): stored encrypted, never returned, never logged. */
export async function setSecret({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; name: string; value: string }>): Promise<SecretMetadata> {
  const input = parseInput(setSecretInput, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, { role: "admin", scope: "secrets:write" });
  const keyring = await importKeyring(ctx.config.ISLET_KEYRING);
  const envelope = await encryptSecret(keyring, input.value, binding(input.workspaceId, input.name));
  const now = Date.now();
  const meta: SecretMetadata = {
    name: input.name,
    last4: input.value.slice(-4),
    fingerprint: (await sha256Hex(`${input.workspaceId}|${input.value}`)).slice(0, 16),
    createdAt: now,
    updatedAt: now,
  };
  await commitWithAudit(
    ctx,
    await access.db(),
    [
      {
        sql: `INSERT INTO _islet_secrets (name, value_enc, last4, fingerprint, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
              ON CONFLICT (name) DO UPDATE SET value_enc = excluded.value_enc, last4 = excluded.last4,
              fingerprint = excluded.fingerprint, updated_at = excluded.updated_at`,
        args: [meta.name, envelope, meta.last4, meta.fingerprint, now, now],
      },
    ],
    [{ action: "secret.set", targetType: "secret", targetId: input.name }],
  );
  return meta;
}

export async function listSecrets({ ctx, input: raw }: ServiceArgs<{ workspaceId: string }>) {
  const input = parseInput(workspaceScoped, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, { role: "admin", scope: "secrets:write" });
  // Never the value: only what identifies it.
  return systemDb(await access.db())
    .select({
      name: secrets.name,
      last4: secrets.last4,
      fingerprint: secrets.fingerprint,
      createdAt: secrets.createdAt,
      updatedAt: secrets.updatedAt,
    })
    .from(secrets)
    .orderBy(secrets.name);
}

/** Decrypts the named secrets of this workspace for one invocation's `env`. */
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
    .where(inArray(secrets.name, names));
  const keyring = await importKeyring(ctx.config.ISLET_KEYRING);
  const env: Record<string, string> = {};
  for (const row of rows) {
    env[row.name] = await decryptSecret(keyring, row.valueEnc, binding(workspaceId, row.name));
  }
  return env;
}
