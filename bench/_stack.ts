// Starts what a benchmark measures against: devdb in-process (JWT auth on), control migrations,
// and optionally the real Worker under wrangler's local runtime (workerd). Bounded and stoppable.
import { mkdtempSync, rmSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { unstable_dev, unstable_startWorker } from "wrangler";
import { startLocalPlatform } from "../scripts/local-stack";
import { type Config, parseConfig } from "../src/config";
import { controlDb } from "../src/db/control/client";
import { sessions, users, workspaces } from "../src/db/control/schema";
import { randomToken, sha256Hex } from "../src/lib/crypto";
import { newId } from "../src/lib/ids";
import { signAccessToken } from "../src/lib/jwt";
import { createLogger } from "../src/lib/logger";
import type { PlanId } from "../src/lib/plans";
import { SandboxBudget } from "../src/sandbox/budget";
import type { ServiceContext } from "../src/services/core/context";
import { provisionWorkspace } from "../src/services/workspaces/provision";

export interface Stack {
  vars: Record<string, string>;
  /** The stack's temporary folder (devdb's files under it). */
  dir: string;
  devdbUrl: string;
  workerUrl?: string;
  stop(): Promise<void>;
}

// Miniflare would otherwise fetch request.cf metadata from Cloudflare: no outbound traffic.
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
process.env.WRANGLER_SEND_METRICS = "false";

export async function startStack(opts: { worker?: boolean } = {}): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), "islet-bench-"));
  const { devdb, vars } = await startLocalPlatform({ dir, environment: "development" });
  let worker: Awaited<ReturnType<typeof unstable_dev>> | undefined;
  if (opts.worker) {
    // The Worker's own origin is its PUBLIC_URL (tokens' issuer, the dashboard's form check).
    const port = await freePort();
    vars.PUBLIC_URL = `http://127.0.0.1:${port}`;
    worker = await unstable_dev("src/index.ts", {
      config: "wrangler.toml",
      vars,
      ip: "127.0.0.1",
      port,
      // Durable Object state (rate-limit windows, revocations) lives and dies with this stack:
      // one run's counts never reach the next.
      persistTo: join(dir, "wrangler-state"),
      logLevel: "none",
      experimental: { disableExperimentalWarning: true, disableDevRegistry: true },
    });
  }
  return {
    vars,
    dir,
    devdbUrl: devdb.url,
    workerUrl: worker ? `http://${worker.address}:${worker.port}` : undefined,
    stop: async () => {
      await worker?.stop();
      await devdb.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export type WorkerCall = (
  path: string,
  init?: { method?: string; token?: string; ip?: string; body?: unknown; headers?: Record<string, string> },
) => Promise<Response>;

/**
 * The real Worker under wrangler's local runtime (workerd), with `vars` as its bindings and an
 * optional bench-only entrypoint. Requests go straight into its Miniflare instance (wrangler's dev
 * proxy is not what is measured, and it would overwrite CF-Connecting-IP).
 */
export async function startWorker(
  vars: Record<string, string>,
  entrypoint?: string,
): Promise<{
  call: WorkerCall;
  fetch: typeof fetch;
  url: string;
  /** Runs the Worker's `scheduled` handler as the cron trigger `cron` would. */
  scheduled(cron: string, scheduledTime?: Date): Promise<unknown>;
  dispose(): Promise<void>;
}> {
  const worker = await unstable_startWorker({
    config: "wrangler.toml",
    ...(entrypoint ? { entrypoint } : {}),
    bindings: Object.fromEntries(
      Object.entries(vars).map(([k, v]) => [k, { type: "plain_text" as const, value: v }]),
    ),
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, watch: false, logLevel: "none" },
  });
  // A build error is logged to wrangler's log file and `ready` never settles: bounded instead.
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    worker.ready,
    new Promise((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error("bench: the Worker did not start in 120 s (see wrangler's log for the build error)"),
          ),
        120_000,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  await (await worker.fetch("http://islet.bench/health")).arrayBuffer();
  const mf = worker.raw.runtimes.map((r) => r.mf).find((m) => m !== undefined);
  if (!mf) throw new Error("bench: the local runtime did not start");
  const call: WorkerCall = (path, init = {}) => {
    const headers: Record<string, string> = { "CF-Connecting-IP": init.ip ?? "203.0.113.9", ...init.headers };
    if (init.token) headers.Authorization = `Bearer ${init.token}`;
    if (init.body !== undefined) headers["Content-Type"] = "application/json";
    return mf.dispatchFetch(`http://islet.bench${path}`, {
      method: init.method ?? "GET",
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    }) as unknown as Promise<Response>;
  };
  // Any request, upgrades included (the answer then carries Miniflare's end of the WebSocket).
  const raw = ((input: string | URL | Request, init?: RequestInit) =>
    mf.dispatchFetch(input as never, init as never)) as unknown as typeof fetch;
  // wrangler's dev server, for clients that go over the network (WebSockets).
  const url = (await worker.url).origin;
  const scheduled = async (cron: string, scheduledTime = new Date()) =>
    (await mf.getWorker()).scheduled({ cron, scheduledTime });
  return { call, fetch: raw, url, scheduled, dispose: () => worker.dispose() };
}

/** A verified user with a session and an access token, and a workspace they own on `plan`. */
export async function seedOwner(vars: Record<string, string>, plan: PlanId = "enterprise") {
  const parsed = parseConfig(vars);
  if (!parsed.ok) throw new Error(parsed.problems.join("; "));
  const config = parsed.config;
  const user = await seedUser(config);
  const ctx = benchContext(config);
  const workspace = await provisionWorkspace({
    ctx,
    input: {
      name: "bench",
      slug: `bench-${newId("s").slice(-10)}`,
      region: "eu-west",
      ownerUserId: user.userId,
    },
  });
  await controlDb(config).update(workspaces).set({ plan }).where(eq(workspaces.id, workspace.id));
  return { config, ctx, ...user, workspace };
}

/** A verified user (no password) signed in just now: their session's id and access token. */
export async function seedUser(config: Config) {
  const db = controlDb(config);
  const userId = newId("usr");
  const sessionId = newId("ses");
  const email = `${userId}@bench.test`;
  const now = Date.now();
  await db.batch([
    db.insert(users).values({ id: userId, email, emailVerifiedAt: now, createdAt: now }),
    db.insert(sessions).values({
      id: sessionId,
      userId,
      refreshHash: await sha256Hex(randomToken()),
      createdAt: now,
      lastUsedAt: now,
      expiresAt: now + 86_400_000,
    }),
  ]);
  return { userId, sessionId, email, token: await signAccessToken(config, userId, sessionId) };
}

/** A system actor's service context for benchmarks calling services directly. */
export function benchContext(config: Config): ServiceContext {
  return {
    env: {},
    config,
    actor: { type: "system", reason: "bench" },
    requestId: "bench",
    ip: null,
    userAgent: null,
    logger: createLogger({}),
    waitUntil: () => {},
    sandboxBudget: new SandboxBudget(),
  };
}
