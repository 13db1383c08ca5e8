// Starts what a benchmark measures against: devdb in-process (JWT auth on), control migrations,
// and optionally the real Worker under wrangler's local runtime (workerd). Bounded and stoppable.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { unstable_dev } from "wrangler";
import { startDevdb } from "../devdb/server";
import {
  createNamespace,
  generateDevSecrets,
  migrateControl,
  mintDevdbToken,
  namespaceUrl,
} from "../scripts/local-stack";

export interface Stack {
  vars: Record<string, string>;
  devdbUrl: string;
  workerUrl?: string;
  stop(): Promise<void>;
}

// Miniflare would otherwise fetch request.cf metadata from Cloudflare: no outbound traffic.
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
process.env.WRANGLER_SEND_METRICS = "false";

export async function startStack(opts: { worker?: boolean } = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), "islet-bench-"));
  const secrets = generateDevSecrets();
  const devdb = await startDevdb({
    dir,
    jwtPublicKey: secrets.DEVDB_JWT_PUBLIC_KEY,
    adminToken: secrets.DEVDB_ADMIN_TOKEN,
  });
  await createNamespace(devdb.adminUrl, secrets.DEVDB_ADMIN_TOKEN, "control");
  const controlUrl = namespaceUrl(devdb.url, "control");
  const controlToken = await mintDevdbToken(secrets.DEVDB_JWT_PRIVATE_KEY, "control");
  await migrateControl({ url: controlUrl, token: controlToken });
  const vars: Record<string, string> = {
    ENVIRONMENT: "development",
    ISLET_INSECURE_LOCAL: "1",
    PUBLIC_URL: "http://127.0.0.1:8787",
    CONTROL_DB_URL: controlUrl,
    CONTROL_DB_TOKEN: controlToken,
    PROVISIONER: "local",
    DEVDB_URL: devdb.url,
    DEVDB_ADMIN_URL: devdb.adminUrl,
    DEVDB_ADMIN_TOKEN: secrets.DEVDB_ADMIN_TOKEN,
    DEVDB_JWT_PRIVATE_KEY: secrets.DEVDB_JWT_PRIVATE_KEY,
    ISLET_KEYRING: secrets.ISLET_KEYRING,
    SESSION_JWT_SECRET: secrets.SESSION_JWT_SECRET,
  };
  let worker: Awaited<ReturnType<typeof unstable_dev>> | undefined;
  if (opts.worker) {
    worker = await unstable_dev("src/index.ts", {
      config: "wrangler.toml",
      vars,
      ip: "127.0.0.1",
      port: 0,
      logLevel: "none",
      experimental: { disableExperimentalWarning: true, disableDevRegistry: true },
    });
  }
  return {
    vars,
    devdbUrl: devdb.url,
    workerUrl: worker ? `http://${worker.address}:${worker.port}` : undefined,
    stop: async () => {
      await worker?.stop();
      await devdb.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
