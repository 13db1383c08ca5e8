// `npm start` as a person runs it, twice: first on some ports, then on others with the same
// .dev.vars (issue 30: the old URLs stayed and the Worker called a devdb port nobody listened on).
// Each start must say only what a person needs, announce the stack only once /health says ok, and
// refuse to announce a Worker that cannot use its control database. Ports are picked free.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../bench/_stack";
import { readDevVars } from "../cli/context";
import { generateDevSecrets, mintDevdbToken, root } from "./local-stack";

let dir: string;
let varsFile: string;
const running = new Set<ChildProcess>();

interface Start {
  code: number | null;
  stdout: string;
  stderr: string;
  base: string;
  stop(): Promise<number | null>;
}

async function ports() {
  return { api: await freePort(), devdb: await freePort(), devdbAdmin: await freePort() };
}

/** Runs scripts/start.ts (what `npm start` runs) until it announces the stack, or exits. */
async function start(p: { api: number; devdb: number; devdbAdmin: number }): Promise<Start> {
  const child = spawn(
    join(root, "node_modules/.bin/tsx"),
    ["--import", "./scripts/sql-loader.mjs", "scripts/start.ts"],
    {
      cwd: root,
      detached: true,
      env: {
        PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH ?? ""}`,
        HOME: process.env.HOME ?? "",
        ISLET_PORT: String(p.api),
        ISLET_DEVDB_PORT: String(p.devdb),
        ISLET_DEVDB_ADMIN_PORT: String(p.devdbAdmin),
        ISLET_DEV_VARS: varsFile,
        ISLET_DATA_DIR: join(dir, "data"),
      } as unknown as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  running.add(child);
  const run: Start = {
    code: null,
    stdout: "",
    stderr: "",
    base: `http://127.0.0.1:${p.api}`,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      running.delete(child);
      return child.exitCode;
    },
  };
  child.stdout.on("data", (chunk: Buffer) => {
    run.stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    run.stderr += chunk.toString();
  });
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (run.stdout.includes("islet is running")) {
        clearInterval(check);
        resolve();
      }
    }, 100);
    child.once("exit", (code) => {
      clearInterval(check);
      run.code = code;
      running.delete(child);
      resolve();
    });
  });
  return run;
}

/** Waits (bounded) for output that follows a request: log lines arrive just after the answer. */
async function until(seen: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !seen(); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(seen()).toBe(true);
}

async function health(base: string) {
  return (await (await fetch(`${base}/health`)).json()) as { status: string; controlDb: string };
}

/** What a person sees: the announcement, and none of wrangler's start-up chatter before it. */
function expectQuietStart(run: Start) {
  const out = run.stdout + run.stderr;
  expect(out).not.toMatch(
    /following bindings|types might be out of date|Ready on|EBADENGINE|Scheduled Workers/,
  );
  expect(run.stderr).toBe("");
  const before = run.stdout.slice(0, run.stdout.indexOf("islet is running"));
  expect(before).not.toContain(run.base);
  expect(run.stdout).toContain(`islet is running   ${run.base}/`);
  expect(run.stdout).toContain(`mail             ${run.base}/dev/outbox`);
  expect(run.stdout).toMatch(/stop\s+Ctrl-C/);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "islet-start-"));
  varsFile = join(dir, "dev.vars");
});
afterAll(async () => {
  for (const child of running) {
    if (child.pid) process.kill(-child.pid, "SIGKILL");
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("npm start", () => {
  it("starts, and starts again on other ports with the same secrets and a healthy Worker", async () => {
    const first = await start(await ports());
    expect(first.code, first.stderr).toBeNull();
    expectQuietStart(first);
    expect(await health(first.base)).toEqual({ status: "ok", controlDb: "ok" });
    const before = readDevVars(varsFile);
    expect(before.DEFAULT_PLAN).toBe("development");
    // Signing up offline (tests have no network): the breached-password check cannot resolve its
    // host; islet says so in one line, and workerd's native trace of the same failure is not shown.
    const signup = await fetch(`${first.base}/v1/auth/signup`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        email: "first-hour@example.test",
        password: "a long enough pass phrase 31",
        region: "eu-west",
      }),
    });
    expect(signup.status).toBe(201);
    await until(() => /"path":"\/v1\/auth\/signup","status":201/.test(first.stdout));
    expect(first.stdout + first.stderr).not.toMatch(/lookup address information|\[ERROR\]|stack: /);
    expect(await first.stop()).toBe(0);

    const moved = await ports();
    const second = await start(moved);
    expect(second.code, second.stderr).toBeNull();
    expectQuietStart(second);
    expect(second.stdout).toContain("updated: PUBLIC_URL, CONTROL_DB_URL, DEVDB_URL, DEVDB_ADMIN_URL");
    expect(await health(second.base)).toEqual({ status: "ok", controlDb: "ok" });
    const after = readDevVars(varsFile);
    expect(after).toMatchObject({
      PUBLIC_URL: `http://127.0.0.1:${moved.api}`,
      CONTROL_DB_URL: `http://control.localhost:${moved.devdb}`,
      DEVDB_URL: `http://127.0.0.1:${moved.devdb}`,
      DEVDB_ADMIN_URL: `http://127.0.0.1:${moved.devdbAdmin}`,
    });
    for (const secret of [
      "ISLET_KEYRING",
      "SESSION_JWT_SECRET",
      "DEVDB_JWT_PRIVATE_KEY",
      "DEVDB_ADMIN_TOKEN",
      "CONTROL_DB_TOKEN",
      "PLATFORM_SIGNING_KEYS",
    ])
      expect(after[secret], secret).toBe(before[secret]);
    expect(await second.stop()).toBe(0);
  }, 300_000);

  it("never announces a Worker whose /health is not ok: one sentence, exit 1", async () => {
    const good = readFileSync(varsFile, "utf8");
    // A configuration the Worker refuses (a session key too short): it answers /health with 503.
    writeFileSync(varsFile, good.replace(/^SESSION_JWT_SECRET=.*$/m, "SESSION_JWT_SECRET='dev_short'"));
    const refused = await start(await ports());
    expect(refused.code).toBe(1);
    expect(refused.stdout).not.toContain("islet is running");
    expect(refused.stderr).toMatch(/^islet: the Worker refuses its configuration \(.*dev\.vars\)/m);

    // A control token signed by a key devdb does not trust: refused before the Worker starts.
    const foreign = await mintDevdbToken(generateDevSecrets().DEVDB_JWT_PRIVATE_KEY, "control");
    writeFileSync(varsFile, good.replace(/^CONTROL_DB_TOKEN=.*$/m, `CONTROL_DB_TOKEN='${foreign}'`));
    const untrusted = await start(await ports());
    expect(untrusted.code).toBe(1);
    expect(untrusted.stdout).not.toContain("islet is running");
    expect(untrusted.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(
        /^islet: devdb refuses CONTROL_DB_TOKEN \(.*\): in .*dev\.vars it must be a token signed/,
      ),
    ]);
  }, 300_000);

  it("installs without an engines warning per package: npm runs on the system Node, the scripts on the pinned one", () => {
    // `npm install` as the README's first step runs it: npm on whatever Node the system has
    // (Node 20 here; every package wants >= 22, which the pinned `node` devDependency gives the scripts).
    const systemPath = (process.env.PATH ?? "")
      .split(":")
      .filter((p) => !p.includes("node_modules"))
      .join(":");
    const install = spawnSync(
      "npm",
      ["install", "--dry-run", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"],
      {
        cwd: root,
        encoding: "utf8",
        env: { PATH: systemPath, HOME: process.env.HOME ?? "" } as unknown as NodeJS.ProcessEnv,
        timeout: 120_000,
      },
    );
    expect(install.status, install.stderr).toBe(0);
    expect(`${install.stdout}${install.stderr}`).not.toMatch(/EBADENGINE|npm warn/);
  }, 150_000);
});
