import type { Client } from "@libsql/client/web";
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
  const result = await (await access.db()).execute(
    "SELECT name, last4, fingerprint, created_at, updated_at FROM _islet_secrets ORDER BY name",
  );
  return result.rows.map((r) => ({
    name: String(r.name),
    last4: String(r.last4),
    fingerprint: String(r.fingerprint),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  }));
}

/** Decrypts the named secrets of this workspace for one invocation's `env`. */
export async function secretsFor(
  ctx: ServiceContext,
  db: Client,
  workspaceId: string,
  names: string[],
): Promise<Record<string, string>> {
  if (names.length === 0) return {};
  const result = await db.execute({
    sql: `SELECT name, value_enc FROM _islet_secrets WHERE name IN (${names.map(() => "?").join(", ")})`,
    args: names,
  });
  const keyring = await importKeyring(ctx.config.ISLET_KEYRING);
  const env: Record<string, string> = {};
  for (const row of result.rows) {
    const name = String(row.name);
    env[name] = await decryptSecret(keyring, String(row.value_enc), binding(workspaceId, name));
  }
  return env;
}
