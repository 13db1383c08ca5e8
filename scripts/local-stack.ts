// Node-side helpers shared by `npm start`, the test globalSetup, benchmarks and the operator CLI:
// dev secrets, devdb tokens, devdb itself and the throwaway local platform. Migrations are read
// by src/db/migration-files.ts, .dev.vars by cli/context.ts.
import { spawn } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { importPKCS8, SignJWT } from "jose";
import { DEFAULT_STATEMENT_TIMEOUT_MS, type Devdb, startDevdb } from "../devdb/server";
import { migrateControl } from "../src/db/migration-files";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export interface DevSecrets {
  ISLET_KEYRING: string;
  SESSION_JWT_SECRET: string;
  DEVDB_ADMIN_TOKEN: string;
  DEVDB_JWT_PRIVATE_KEY: string;
  DEVDB_JWT_PUBLIC_KEY: string;
  PLATFORM_SIGNING_KEYS: string;
}

/** Fresh random development secrets. Marked as dev so production refuses them (src/config.ts). */
export function generateDevSecrets(): DevSecrets {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  return {
    ISLET_KEYRING: JSON.stringify({
      active: 1,
      keys: { "1": randomBytes(32).toString("base64") },
      env: "dev",
    }),
    SESSION_JWT_SECRET: `dev_${randomBytes(32).toString("base64url")}`,
    DEVDB_ADMIN_TOKEN: `dev_${randomBytes(24).toString("base64url")}`,
    DEVDB_JWT_PRIVATE_KEY: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    DEVDB_JWT_PUBLIC_KEY: publicKey.export({ type: "spki", format: "pem" }).toString(),
    PLATFORM_SIGNING_KEYS: devSigningKeys(),
  };
}

/** A fresh Ed25519 platform signing key (deletion certificates), marked as dev. */
export function devSigningKeys(): string {
  const { privateKey } = generateKeyPairSync("ed25519");
  const der = privateKey.export({ type: "pkcs8", format: "der" }).toString("base64");
  return JSON.stringify({ active: "dev-1", keys: { "dev-1": der }, env: "dev" });
}

/** A devdb token (sqld claim format) for one namespace. */
export async function mintDevdbToken(privateKeyPem: string, namespace: string, access: "rw" | "ro" = "rw") {
  const key = await importPKCS8(privateKeyPem, "EdDSA");
  return new SignJWT({ p: { [access]: { ns: [namespace] } } })
    .setProtectedHeader({ alg: "EdDSA", typ: "JWT" })
    .setIssuedAt()
    .sign(key);
}

export async function createNamespace(adminUrl: string, adminToken: string | undefined, namespace: string) {
  const res = await fetch(`${adminUrl}/v1/namespaces/${namespace}/create`, {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      ...(adminToken ? { Authorization: `Bearer ${adminToken}` } : {}),
    },
    body: "{}",
  });
  if (!res.ok && res.status !== 409)
    throw new Error(`devdb: cannot create namespace ${namespace}: ${res.status}`);
}

/** `http://127.0.0.1:8880` + `control` → `http://control.localhost:8880` (sqld host-prefix form). */
export const namespaceUrl = (devdbUrl: string, namespace: string) => {
  const url = new URL(devdbUrl);
  return `http://${namespace}.localhost:${url.port}`;
};

/**
 * A throwaway local platform for tests and benchmarks: devdb in `dir` with fresh secrets and JWT
 * auth, the control namespace migrated, and the Worker bindings that point at it.
 */
/** devdb in a process of its own, which can be paused (SIGSTOP) and resumed like a stalled server. */
export interface DevdbProcess extends Devdb {
  pause(): void;
  resume(): void;
}

/** Starts `devdb/cli.ts` as a child process; resolves once it prints both addresses. */
export async function spawnDevdb(opts: {
  dir: string;
  jwtPublicKey: string;
  adminToken: string;
}): Promise<DevdbProcess> {
  mkdirSync(opts.dir, { recursive: true });
  const keyFile = join(opts.dir, "devdb-jwt.pub");
  writeFileSync(keyFile, opts.jwtPublicKey, { mode: 0o600 });
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      join(root, "devdb/cli.ts"),
      "--dir",
      opts.dir,
      "--jwt-public-key",
      keyFile,
      "--statement-timeout-ms",
      String(DEFAULT_STATEMENT_TIMEOUT_MS),
    ],
    {
      cwd: root,
      env: { ...process.env, DEVDB_ADMIN_TOKEN: opts.adminToken },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const addresses = await new Promise<{ url: string; adminUrl: string }>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`devdb did not start in 30 s: ${stderr}`)), 30_000);
    child.once("exit", (code) => reject(new Error(`devdb exited (${code}): ${stderr}`)));
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const url = /devdb listening on (\S+)/.exec(out)?.[1];
      const adminUrl = /devdb admin on (\S+)/.exec(out)?.[1];
      if (url && adminUrl) {
        clearTimeout(timer);
        resolve({ url, adminUrl });
      }
    });
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    ...addresses,
    port: Number(new URL(addresses.url).port),
    adminPort: Number(new URL(addresses.adminUrl).port),
    pause: () => child.kill("SIGSTOP"),
    resume: () => child.kill("SIGCONT"),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGCONT");
      child.kill("SIGTERM");
      await exited;
    },
  };
}

export async function startLocalPlatform(opts: { dir: string; environment: "development" | "test" }) {
  const secrets = generateDevSecrets();
  // One statement deadline on both sides: the Worker gives up on a round trip after it, and devdb
  // interrupts the statement inside SQLite at the same point, so nothing runs on unwatched.
  const statementTimeoutMs = DEFAULT_STATEMENT_TIMEOUT_MS;
  const devdb = await startDevdb({
    dir: opts.dir,
    jwtPublicKey: secrets.DEVDB_JWT_PUBLIC_KEY,
    adminToken: secrets.DEVDB_ADMIN_TOKEN,
    statementTimeoutMs,
  });
  await createNamespace(devdb.adminUrl, secrets.DEVDB_ADMIN_TOKEN, "control");
  const controlUrl = namespaceUrl(devdb.url, "control");
  const controlToken = await mintDevdbToken(secrets.DEVDB_JWT_PRIVATE_KEY, "control");
  await migrateControl({ url: controlUrl, token: controlToken });
  const vars: Record<string, string> = {
    ENVIRONMENT: opts.environment,
    ISLET_INSECURE_LOCAL: "1",
    PUBLIC_URL: "http://127.0.0.1:8787",
    CONTROL_DB_URL: controlUrl,
    CONTROL_DB_TOKEN: controlToken,
    PROVISIONER: "local",
    DB_STATEMENT_TIMEOUT_MS: String(statementTimeoutMs),
    DEVDB_URL: devdb.url,
    DEVDB_ADMIN_URL: devdb.adminUrl,
    DEVDB_ADMIN_TOKEN: secrets.DEVDB_ADMIN_TOKEN,
    DEVDB_JWT_PRIVATE_KEY: secrets.DEVDB_JWT_PRIVATE_KEY,
    ISLET_KEYRING: secrets.ISLET_KEYRING,
    SESSION_JWT_SECRET: secrets.SESSION_JWT_SECRET,
    PLATFORM_SIGNING_KEYS: secrets.PLATFORM_SIGNING_KEYS,
  };
  return { devdb, vars, secrets };
}
