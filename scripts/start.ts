// `npm start`: the whole platform on one machine. Writes .dev.vars with fresh dev secrets on first
// run (and derives its port-bound values again on every run), starts devdb (data in .islet/),
// applies control-plane migrations, runs `wrangler dev`, and announces the stack only once its
// /health says ok. Ctrl-C stops both.
//
// Ports: ISLET_PORT (8787), ISLET_DEVDB_PORT (8880), ISLET_DEVDB_ADMIN_PORT (8881). Where state
// lives: ISLET_DEV_VARS (the vars file, default .dev.vars) and ISLET_DATA_DIR (devdb's data and
// the Worker's local state, default .islet/ and .wrangler/), so a second stack can run beside.
import { type ChildProcess, spawn } from "node:child_process";
import { createPublicKey } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join, relative } from "node:path";
import { DEFAULT_STATEMENT_TIMEOUT_MS, startDevdb } from "../devdb/server";
import { migrateControl } from "../src/db/migration-files";
import { type LocalPorts, prepareDevVars } from "./dev-vars";
import { createNamespace, namespaceUrl, root } from "./local-stack";
import { pipeFiltered } from "./wrangler-output";

const ports: LocalPorts = {
  api: Number(process.env.ISLET_PORT ?? 8787),
  devdb: Number(process.env.ISLET_DEVDB_PORT ?? 8880),
  devdbAdmin: Number(process.env.ISLET_DEVDB_ADMIN_PORT ?? 8881),
};
const devVarsPath = process.env.ISLET_DEV_VARS ?? join(root, ".dev.vars");
const dataDir = process.env.ISLET_DATA_DIR;
/** How long a Worker that answers but is not healthy gets before the start is given up. */
const UNHEALTHY_GRACE_MS = 10_000;
/** How long wrangler gets to build and answer at all (a cold first build on a slow machine). */
const READY_DEADLINE_MS = 180_000;

const shown = (path: string) => (path.startsWith(root) ? relative(root, path) : path);

/** A start that cannot go on: one sentence, and what was started is stopped. */
class StartFailure extends Error {}

async function main() {
  const { vars, created, changed } = await prepareDevVars(devVarsPath, ports);
  if (created) console.log(`islet: wrote ${shown(devVarsPath)} with fresh development secrets`);
  else if (changed.length > 0) console.log(`islet: ${shown(devVarsPath)} updated: ${changed.join(", ")}`);

  const privateKey = vars.DEVDB_JWT_PRIVATE_KEY ?? "";
  const publicKey = createPublicKey(privateKey).export({ type: "spki", format: "pem" }).toString();
  const devdbDir = dataDir ? join(dataDir, "devdb") : join(root, ".islet", "devdb");
  mkdirSync(devdbDir, { recursive: true });
  const devdb = await startDevdb({
    dir: devdbDir,
    port: ports.devdb,
    adminPort: ports.devdbAdmin,
    jwtPublicKey: publicKey,
    adminToken: vars.DEVDB_ADMIN_TOKEN,
    // The Worker's statement deadline (DB_STATEMENT_TIMEOUT_MS in .dev.vars, if set) is devdb's too:
    // a statement the Worker gave up on is interrupted inside SQLite at the same point.
    statementTimeoutMs: Number(vars.DB_STATEMENT_TIMEOUT_MS ?? DEFAULT_STATEMENT_TIMEOUT_MS),
    // The control namespace is created on every start; that it already exists is no news.
    log: (line) => {
      if (!line.includes("NAMESPACE_EXISTS")) console.log(`devdb: ${line}`);
    },
  }).catch((error: unknown) => {
    throw inUse(error) ? new StartFailure(portTaken("devdb", error)) : error;
  });
  let wrangler: ChildProcess | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    wrangler?.kill("SIGTERM");
    await devdb.stop();
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));

  try {
    await createNamespace(devdb.adminUrl, vars.DEVDB_ADMIN_TOKEN, "control");
    const applied = await migrateControl({
      url: namespaceUrl(devdb.url, "control"),
      token: vars.CONTROL_DB_TOKEN,
    }).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      if (!/AUTH_|JWT|401|403/.test(message)) throw error;
      throw new StartFailure(
        `devdb refuses CONTROL_DB_TOKEN (${message.split("\n")[0]}): in ${shown(devVarsPath)} it must be ` +
          "a token signed by DEVDB_JWT_PRIVATE_KEY, as npm start wrote it",
      );
    });
    if (applied.length > 0) console.log(`islet: control migrations applied: ${applied.join(", ")}`);

    console.log(`islet: starting the Worker on 127.0.0.1:${ports.api} (devdb on ${ports.devdb})…`);
    const args = [
      "dev",
      ["--ip", "127.0.0.1"],
      ["--port", String(ports.api)],
      ["--env-file", devVarsPath],
      "--show-interactive-dev-session=false",
      // Lets /__scheduled run the Worker's cron jobs by hand (and keeps wrangler's cron warning away).
      "--test-scheduled",
      dataDir ? ["--persist-to", join(dataDir, "wrangler")] : [],
    ].flat();
    wrangler = spawn(join(root, "node_modules", ".bin", "wrangler"), args, {
      cwd: root,
      stdio: ["inherit", "pipe", "pipe"],
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: "false",
        // Miniflare would otherwise fetch request.cf metadata from Cloudflare: no outbound traffic.
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
        ...(process.stdout.isTTY ? { FORCE_COLOR: "1" } : {}),
      },
    });
    if (wrangler.stdout) pipeFiltered(wrangler.stdout, process.stdout);
    if (wrangler.stderr) pipeFiltered(wrangler.stderr, process.stderr);
    const exited = new Promise<never>((_, reject) =>
      wrangler?.once("exit", (code) =>
        reject(
          new StartFailure(
            `wrangler dev stopped (exit ${code ?? "signal"}) before the API answered; what it said is above` +
              ` (a port in use? set ISLET_PORT)`,
          ),
        ),
      ),
    );
    const base = `http://127.0.0.1:${ports.api}`;
    await Promise.race([untilHealthy(base), exited]);
    wrangler.removeAllListeners("exit");
    wrangler.on("exit", (code) => void stop(code ?? 0));
    console.log(
      [
        "",
        `islet is running   ${base}/`,
        `  dashboard        ${base}/  (sign up there)`,
        `  mail             ${base}/dev/outbox  (nothing leaves this machine; verification links land here)`,
        `  API              ${base}/v1  (reference at ${base}/docs)`,
        `  stop             Ctrl-C (devdb and the Worker; data stays in ${shown(dataDir ?? join(root, ".islet"))})`,
        "",
      ].join("\n"),
    );
  } catch (error) {
    console.error(`islet: ${error instanceof Error ? error.message : String(error)}`);
    await stop(1);
  }
}

/**
 * Waits until the Worker's /health says ok. A Worker that answers but stays degraded (it cannot
 * reach the control database: a stale URL, a wrong token) is a failed start, not a stack to
 * send a person to.
 */
async function untilHealthy(base: string): Promise<void> {
  const started = Date.now();
  let firstAnswer: number | undefined;
  while (Date.now() - started < READY_DEADLINE_MS) {
    try {
      const res = await fetch(`${base}/health`);
      const body = (await res.json().catch(() => ({}))) as {
        status?: string;
        controlDb?: string;
        error?: { code?: string };
      };
      if (res.ok && body.status === "ok") return;
      // The configuration is read once: a refusal will not go away by waiting.
      if (body.error?.code === "misconfigured")
        throw new StartFailure(
          `the Worker refuses its configuration (${shown(devVarsPath)}): its log above names each ` +
            "problem; not announcing it",
        );
      firstAnswer ??= Date.now();
      const last = `status ${body.status ?? res.status}, control database ${body.controlDb ?? "unknown"}`;
      if (Date.now() - firstAnswer > UNHEALTHY_GRACE_MS)
        throw new StartFailure(
          `the Worker answers but is not healthy (${last}): it cannot use the control database at ` +
            `its CONTROL_DB_URL with its CONTROL_DB_TOKEN (see ${shown(devVarsPath)}); not announcing it`,
        );
    } catch (error) {
      if (error instanceof StartFailure) throw error;
      // Not listening yet: wrangler is still building.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new StartFailure(`the Worker did not answer /health within ${READY_DEADLINE_MS / 1000} s`);
}

const inUse = (error: unknown) => (error as { code?: unknown }).code === "EADDRINUSE";
const portTaken = (what: string, error: unknown) =>
  `${what} cannot listen: ${(error as Error).message.replace(/^listen /, "")} (another npm start? ` +
  "set ISLET_DEVDB_PORT and ISLET_DEVDB_ADMIN_PORT)";

main().catch((error: unknown) => {
  console.error(`islet: failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
