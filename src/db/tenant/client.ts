import type { Client } from "@libsql/client/web";
import type { Config } from "../../env";
import { decryptSecret, importKeyring, type SecretBinding } from "../../lib/crypto";
import { ApiError } from "../../lib/errors";
import { libsqlClient } from "../libsql";

/** What it takes to reach one tenant database: nothing else can open one. */
export interface TenantLocator {
  id: string;
  status: string;
  dbUrl: string | null;
  dbTokenEnc: string | null;
}

/** The encryption binding of a workspace's database token (DESIGN §6). */
export const dbTokenBinding = (workspaceId: string): SecretBinding => ({
  workspaceId,
  kind: "db_token",
  recordId: workspaceId,
});

// Clients are reused per isolate, keyed by the token envelope: a rotated token is a new key.
const clients = new Map<string, Client>();
const MAX_CLIENTS = 256;

/**
 * The only way to a tenant database (DESIGN §1): a client built from that workspace's own URL
 * and its decrypted token. There is no shared connection and no other code path.
 */
export async function tenantDb(config: Config, workspace: TenantLocator): Promise<Client> {
  if (workspace.status !== "active" || !workspace.dbUrl || !workspace.dbTokenEnc) {
    throw new ApiError("unavailable", "The workspace database is not ready");
  }
  const cacheKey = `${workspace.id}|${workspace.dbUrl}|${workspace.dbTokenEnc}`;
  const cached = clients.get(cacheKey);
  // A client whose first contact failed stays closed for good; drop it and build a new one.
  if (cached && !cached.closed) return cached;
  const keyring = await importKeyring(config.ISLET_KEYRING);
  const token = await decryptSecret(keyring, workspace.dbTokenEnc, dbTokenBinding(workspace.id));
  const client = libsqlClient(workspace.dbUrl, token);
  if (clients.size >= MAX_CLIENTS) {
    const oldest = clients.keys().next().value;
    if (oldest !== undefined) clients.delete(oldest);
  }
  clients.set(cacheKey, client);
  return client;
}
