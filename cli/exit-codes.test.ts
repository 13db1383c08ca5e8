// The CLI as `npm run islet -- …` runs it (the package.json script, through npm, so Node's own
// argument handling is part of what is tested): each kind of failure has its exit code and one
// line that says what is wrong. 0 done; 1 the work failed (a missing target, a database that does
// not answer); 2 the command line is wrong.
import { type ExecFileException, execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type Stack, startStack } from "../bench/_stack";
import { type Config, parseConfig } from "../src/config";
import { controlDb } from "../src/db/control/client";
import { securityLog, workspaces } from "../src/db/control/schema";
import { tenantDb } from "../src/db/tenant/client";
import { setLogSink } from "../src/lib/logger";
import { provisionWorkspace } from "../src/services/workspaces/provision";
import { operatorContext, root } from "./context";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let stack: Stack;
let config: Config;
let dir: string;
let upFile: string;
let downFile: string;
let downPort: number;

/** `npm run -s islet -- <args>` with only PATH and HOME from this process (no stray config). */
function islet(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      "npm",
      ["run", "--silent", "islet", "--", ...args],
      {
        cwd: root,
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" } as unknown as NodeJS.ProcessEnv,
        timeout: 60_000,
      },
      (error: ExecFileException | null, stdout: string, stderr: string) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
      },
    );
  });
}

const lines = (text: string) => text.trim().split("\n").filter(Boolean);

function writeVars(path: string, vars: Record<string, string>): void {
  writeFileSync(
    path,
    Object.entries(vars)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join("\n"),
    { mode: 0o600 },
  );
}

beforeAll(async () => {
  setLogSink(() => {});
  stack = await startStack();
  const parsed = parseConfig(stack.vars);
  if (!parsed.ok) throw new Error(parsed.problems.join("; "));
  config = parsed.config;
  dir = mkdtempSync(join(tmpdir(), "islet-exit-"));
  upFile = join(dir, "up.vars");
  writeVars(upFile, stack.vars);
  // The same configuration with the stack stopped: nothing listens on the databases' port.
  downPort = await freePort();
  downFile = join(dir, "down.vars");
  writeVars(downFile, {
    ...stack.vars,
    CONTROL_DB_URL: `http://control.localhost:${downPort}`,
    DEVDB_URL: `http://127.0.0.1:${downPort}`,
    DEVDB_ADMIN_URL: `http://127.0.0.1:${downPort}`,
  });
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("exit codes", () => {
  it("--env-file naming a missing file: exit 2, one line naming it (not Node's exit 9)", async () => {
    const missing = join(dir, "nope.vars");
    const run = await islet("--env-file", missing, "tenants", "list");
    expect(run.code).toBe(2);
    expect(lines(run.stderr)).toEqual([`error: --env-file ${missing}: no such file`]);
  }, 60_000);

  it("an env file with no configuration in it: exit 2, one line", async () => {
    const empty = join(dir, "empty.vars");
    writeFileSync(empty, "# nothing yet\n");
    const run = await islet("--env-file", empty, "tenants", "list");
    expect(run.code).toBe(2);
    expect(lines(run.stderr)).toEqual([`error: no configuration: ${empty} sets no ENVIRONMENT`]);
  }, 60_000);

  it("--version prints this checkout's version", async () => {
    const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
    const run = await islet("--version");
    expect(run).toMatchObject({ code: 0, stdout: `${version}\n` });
  }, 60_000);

  it("usage errors: exit 2, one line", async () => {
    for (const args of [
      ["tenants", "bogus"],
      ["--env-file", upFile, "workspace", "plan", "ws_00000000000000000000000000", "gold"],
      ["--env-file", upFile, "workspace", "plan"],
    ]) {
      const run = await islet(...args);
      expect(run.code, args.join(" ")).toBe(2);
      expect(lines(run.stderr), args.join(" ")).toHaveLength(1);
      expect(run.stderr).toMatch(/^error: /);
    }
  }, 60_000);

  it("a workspace that is not there: exit 1 with a sentence, not an empty scan that passes", async () => {
    const run = await islet("--env-file", upFile, "tenants", "scan", "--workspace", "ws_typo");
    expect(run.code).toBe(1);
    expect(lines(run.stderr)).toEqual(["islet: No active workspace has the id ws_typo"]);
    expect(run.stdout).not.toMatch(/scanned/);
  }, 60_000);

  it("with the stack down: exit 1 and a sentence naming the address, never the SQL", async () => {
    for (const args of [
      ["tenants", "list"],
      ["workspace", "show", "ws_00000000000000000000000000"],
    ]) {
      const run = await islet("--env-file", downFile, ...args);
      expect(run.code, args.join(" ")).toBe(1);
      expect(run.stderr).not.toMatch(/Failed query|select /i);
      expect(lines(run.stderr)).toEqual([
        `islet: cannot reach the database at 127.0.0.1:${downPort}: is the stack running (npm start), and does CONTROL_DB_URL in the env file point at it?`,
      ]);
    }
  }, 60_000);
});

describe("workspace plan", () => {
  it("sets the plan as an operator action, audited in the workspace's log and the platform log", async () => {
    const workspace = await provisionWorkspace({
      ctx: operatorContext(config, "cli-test"),
      input: { name: "planned", slug: `plan-${Date.now().toString(36)}`, region: "eu-west" },
    });
    expect(workspace.plan).toBe("free");
    const run = await islet("--env-file", upFile, "workspace", "plan", workspace.id, "development");
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`${workspace.id} is now on the development plan\n`);
    const [row] = await controlDb(config).select().from(workspaces).where(eq(workspaces.id, workspace.id));
    expect(row?.plan).toBe("development");
    const tenant = await tenantDb(config, workspace);
    const audit = await tenant.execute(
      "SELECT action, actor_type, details FROM _islet_audit_log WHERE action = 'workspace.plan_change'",
    );
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]?.actor_type).toBe("operator");
    expect(String(audit.rows[0]?.details)).toMatch(/local development: set with the operator CLI/);
    const platform = await controlDb(config)
      .select()
      .from(securityLog)
      .where(eq(securityLog.action, "workspace.plan_change"));
    expect(platform.map((e) => [e.actorType, JSON.parse(e.details ?? "{}").to])).toContainEqual([
      "operator",
      "development",
    ]);
  }, 60_000);
});

describe("doctor", () => {
  it("says that a local configuration was checked by the local rules only, and which plan new workspaces get", async () => {
    const run = await islet("--env-file", upFile, "--json", "doctor", "--offline");
    expect(run.code, run.stderr).toBe(0);
    const { checks } = JSON.parse(run.stdout) as {
      checks: { check: string; result: string; detail: string }[];
    };
    expect(checks[0]).toMatchObject({
      check: "scope",
      result: "skip",
      detail: expect.stringMatching(/^local rules only/),
    });
    expect(checks.find((c) => c.check === "new workspaces' plan")?.detail).toMatch(/^free: 100\/min/);
  }, 60_000);

  it("with the stack down: the database row says what it could not reach, and the exit is 1", async () => {
    const run = await islet("--env-file", downFile, "--json", "doctor");
    expect(run.code).toBe(1);
    const { checks } = JSON.parse(run.stdout) as {
      checks: { check: string; result: string; detail: string }[];
    };
    expect(checks.find((c) => c.check === "control database")).toMatchObject({
      result: "fail",
      detail: `cannot reach the database at 127.0.0.1:${downPort}`,
    });
  }, 60_000);
});
