import type { Client } from "@libsql/client/web";
import { drizzle } from "drizzle-orm/libsql/web";
import type { Config } from "../../config";
import { decryptSecret, importKeyring, type SecretBinding } from "../../lib/crypto";
import { libsqlClient } from "../libsql";
import * as system from "./schema";

/** What it takes to reach one tenant database: nothing else can open one. */
export interface TenantLocator {
  id: string;
  status: string;
  dbUrl: string | null;
  dbTokenEnc: string | null;
}

/** The encryption binding of a workspace's database token (architecture §6). */
export const dbTokenBinding = (workspaceId: string): SecretBinding => ({
  workspaceId,
  kind: "db_token",
  recordId: workspaceId,
});

// Decrypted tokens are kept per isolate, keyed by workspace and envelope (a rotated token is a new key):
// strings are safe to share across requests, clients are not (see src/db/control/client.ts).
const tokens = new Map<string, string>();
const MAX_TOKENS = 1024;

/** The workspace has no usable database yet (provisioning, deleting): callers answer 503. */
export class TenantNotReadyError extends Error {
  constructor(readonly workspaceId: string) {
    super("The workspace database is not ready");
    this.name = "TenantNotReadyError";
  }
}

// Which workspace each client reaches: a write that carries an idempotency record must go to the
// database the record belongs in (services/idempotency).
const workspaceOfClient = new WeakMap<Client, string>();

/** The workspace whose database `client` reaches, if `tenantDb` made it. */
export const tenantOf = (client: Client): string | undefined => workspaceOfClient.get(client);

/**
 * The only way to a tenant database (architecture §1): a client built from that workspace's own URL
 * and its decrypted token. There is no shared connection and no other code path.
 */
export async function tenantDb(config: Config, workspace: TenantLocator): Promise<Client> {
  if (workspace.status !== "active" || !workspace.dbUrl || !workspace.dbTokenEnc) {
    throw new TenantNotReadyError(workspace.id);
  }
  const cacheKey = `${workspace.id}|${workspace.dbTokenEnc}`;
  let token = tokens.get(cacheKey);
  if (token === undefined) {
    const keyring = await importKeyring(config.ISLET_KEYRING);
    token = await decryptSecret(keyring, workspace.dbTokenEnc, dbTokenBinding(workspace.id));
    if (tokens.size >= MAX_TOKENS) tokens.delete(tokens.keys().next().value as string);
    tokens.set(cacheKey, token);
  }
  const client = libsqlClient(workspace.dbUrl, token);
  workspaceOfClient.set(client, workspace.id);
  return client;
}

/** Typed queries of a tenant database's system tables (src/db/tenant/schema.ts) over its client. */
export const systemDb = (client: Client) => drizzle({ client, schema: system });
