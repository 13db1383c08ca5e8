// The operator CLI as an operator runs it: a child process (`tsx cli/index.ts …`) against a real
// devdb and control database, configured by an env file. Help, usage errors and exit codes;
// `tenants migrate` over 200 tenants with 3 failing; scan; backup and restore; workspace show.
import { type ExecFileException, execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../bench/_stack";
import { type Config, parseConfig } from "../src/config";
import { controlDb } from "../src/db/control/client";
import { type WorkspaceRow, workspaces } from "../src/db/control/schema";
import { loadMigrations } from "../src/db/migration-files";
import { tenantDb } from "../src/db/tenant/client";
import { newId } from "../src/lib/ids";
import { setLogSink } from "../src/lib/logger";
import { mapPool } from "../src/lib/pool";
import { provisionerFor } from "../src/provision";
import { verifyChain } from "../src/services/audit/verify";
import { listBackups, recordBackup } from "../src/services/backups";
import { destroyWorkspace } from "../src/services/workspaces/destroy";
import { provisionWorkspace } from "../src/services/workspaces/provision";
import { operatorContext, root } from "./context";

let stack: Stack;
let config: Config;
let dir: string;
let envFile: string;
let tenants: WorkspaceRow[] = [];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `npm run islet -- <args>`, as a child process with only the env file for configuration. */
function islet(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      join(root, "node_modules/.bin/tsx"),
      ["--import", "./scripts/sql-loader.mjs", "cli/index.ts", "--env-file", envFile, ...args],
      {
        cwd: root,
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" } as unknown as NodeJS.ProcessEnv,
        timeout: 240_000,
      },
      (error: ExecFileException | null, stdout: string, stderr: string) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const json = <T>(run: Run): T => JSON.parse(run.stdout) as T;

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
  dir = mkdtempSync(join(tmpdir(), "islet-cli-"));
  envFile = join(dir, "test.vars");
  writeVars(envFile, stack.vars);
  const ctx = operatorContext(config, "cli-test");
  tenants = await mapPool(
    Array.from({ length: 200 }, (_, i) => i),
    8,
    (i) =>
      provisionWorkspace({
        ctx,
        input: { name: `fleet ${i}`, slug: `fleet-${i}-${newId("s").slice(-8)}`, region: "us-east" },
      }),
  );
}, 240_000);
afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("command line", { timeout: 120_000 }, () => {
  it("gives every command its own --help, and usage errors exit 2 in one line", async () => {
    const help = await islet("tenants", "restore", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Usage: islet tenants restore [options] <workspace> <backup>");
    expect(help.stdout).toContain("--reason <text>");

    for (const args of [
      ["tenants", "list", "--bogus"],
      ["frobnicate"],
      ["tenants", "migrate", "--concurrency", "0"],
      ["tenants", "restore", "ws_x"],
    ]) {
      const run = await islet(...args);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr.trim().split("\n")).toHaveLength(1);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it("answers --json for scripts, and a failing operation is one line and exit 1", async () => {
    const list = await islet("--json", "tenants", "list");
    expect(list.code).toBe(0);
    expect(json<unknown[]>(list)).toHaveLength(200);

    const missing = await islet("workspace", "show", `ws_${"0".repeat(26)}`);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe("islet: Workspace not found");
  });

  it("shows a workspace without its database token", async () => {
    const ws = tenants[0] as WorkspaceRow;
    const run = await islet("--json", "workspace", "show", ws.id);
    expect(run.code).toBe(0);
    const shown = json<{ workspace: Record<string, unknown>; liveKeys: number }>(run);
    expect(shown.workspace).toMatchObject({ id: ws.id, slug: ws.slug, status: "active" });
    expect(run.stdout).not.toContain("dbTokenEnc");
    expect(run.stdout).not.toContain(String(ws.dbTokenEnc));
  });
});

describe("tenants scan", { timeout: 180_000 }, () => {
  it("passes clean tenants and names what is wrong with tampered ones", async () => {
    const [evil, trigger] = tenants.slice(10, 12) as [WorkspaceRow, WorkspaceRow];
    await (await tenantDb(config, evil)).execute("CREATE TABLE _islet_shadow (x)");
    const tampered = await tenantDb(config, trigger);
    await tampered.execute("DROP TRIGGER _islet_audit_log_no_update");
    await tampered.execute("INSERT INTO _islet_meta (key, value) VALUES ('probe', '1')");
    const run = await islet("--json", "tenants", "scan", "--concurrency", "8");
    expect(run.code).toBe(1);
    const report = json<{
      tenants: { workspaceId: string; ok: boolean; checks: Record<string, string[]> }[];
      failed: number;
    }>(run);
    expect(report.tenants).toHaveLength(200);
    expect(report.failed).toBe(2);
    const byId = new Map(report.tenants.map((t) => [t.workspaceId, t]));
    expect(byId.get(evil.id)?.checks.reserved_objects).toEqual([
      "table _islet_shadow was not created by islet",
    ]);
    expect(byId.get(trigger.id)?.checks.audit_triggers).toEqual(["_islet_audit_log_no_update is missing"]);

    // Put right, both pass again.
    await (await tenantDb(config, evil)).execute("DROP TABLE _islet_shadow");
    const sql = loadMigrations("tenant")[0]?.sql ?? "";
    const create = /CREATE TRIGGER _islet_audit_log_no_update[\s\S]*?END;/.exec(sql)?.[0] ?? "";
    await tampered.execute(create.slice(0, -1));
    for (const ws of [evil, trigger]) {
      const again = await islet("--json", "tenants", "scan", "--workspace", ws.id);
      expect(again.code, ws.id).toBe(0);
    }
  });
});

describe("tenants backup and restore", { timeout: 180_000 }, () => {
  it("round-trips rows through a backup, swaps the database in, and keeps the audit chain", async () => {
    const ws = tenants[20] as WorkspaceRow;
    const db = await tenantDb(config, ws);
    await db.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)");
    await db.execute("INSERT INTO notes (body) VALUES ('one'), ('two'), ('three')");
    const taken = await islet("--json", "tenants", "backup", ws.id);
    expect(taken.code).toBe(0);
    const backup = json<{ id: string; kind: string }>(taken);
    expect(backup.kind).toBe("snapshot");
    await db.execute("DELETE FROM notes WHERE body = 'one'");
    await db.execute("INSERT INTO notes (body) VALUES ('four')");

    const restored = await islet(
      "--json",
      "tenants",
      "restore",
      ws.id,
      backup.id,
      "--reason",
      "operator test of restore",
    );
    expect(restored.code, restored.stderr).toBe(0);
    const result = json<{ dbName: string; previousDbName: string; safetyBackup: { id: string } }>(restored);
    expect(result.previousDbName).toBe(ws.dbName);

    const [after] = await controlDb(config).select().from(workspaces).where(eq(workspaces.id, ws.id));
    expect(after?.dbName).toBe(result.dbName);
    const now = await tenantDb(config, after as WorkspaceRow);
    expect((await now.execute("SELECT body FROM notes ORDER BY id")).rows.map((r) => r.body)).toEqual([
      "one",
      "two",
      "three",
    ]);
    const chain = await verifyChain(now);
    expect(chain.ok).toBe(true);
    const events = await now.execute("SELECT action FROM _islet_audit_log ORDER BY seq DESC LIMIT 1");
    expect(events.rows[0]?.action).toBe("workspace.restore");
    // The old database is gone; the backup of it as it was (pre_restore) is listed.
    expect(await provisionerFor(config).list()).not.toContain(ws.dbName);
    const list = json<{ id: string; reason: string }[]>(await islet("--json", "tenants", "backups", ws.id));
    expect(list.map((b) => b.reason)).toEqual(["pre_restore", "manual"]);
    // Restoring the pre-restore point brings 'four' back: a restore can be undone.
    const undo = await islet(
      "--json",
      "tenants",
      "restore",
      ws.id,
      result.safetyBackup.id,
      "--reason",
      "undo the operator test",
    );
    expect(undo.code, undo.stderr).toBe(0);
    const [final] = await controlDb(config).select().from(workspaces).where(eq(workspaces.id, ws.id));
    const last = await tenantDb(config, final as WorkspaceRow);
    expect((await last.execute("SELECT body FROM notes ORDER BY id")).rows.map((r) => r.body)).toEqual([
      "two",
      "three",
      "four",
    ]);
  });

  it("keeps 10 backups, and refuses to restore a deleted workspace", async () => {
    const ws = tenants[21] as WorkspaceRow;
    const ctx = operatorContext(config, "cli-test");
    for (let i = 0; i < 12; i++) await recordBackup(ctx, ws, "daily");
    const kept = await listBackups({ ctx, input: { workspaceId: ws.id } });
    expect(kept).toHaveLength(10);
    const headers = { Authorization: `Bearer ${config.DEVDB_ADMIN_TOKEN}` };
    const snapshots = await fetch(`${config.DEVDB_ADMIN_URL}/v1/namespaces/${ws.dbName}/snapshots`, {
      headers,
    });
    expect(((await snapshots.json()) as { snapshots: unknown[] }).snapshots).toHaveLength(10);

    await destroyWorkspace(ctx, ws, { reason: "test" });
    const after = await fetch(`${config.DEVDB_ADMIN_URL}/v1/namespaces/${ws.dbName}/snapshots`, { headers });
    expect(((await after.json()) as { snapshots: unknown[] }).snapshots).toHaveLength(0);
    const refused = await islet(
      "tenants",
      "restore",
      ws.id,
      (kept[0] as { id: string }).id,
      "--reason",
      "after deletion",
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("a deleted workspace cannot be restored");
    tenants = tenants.filter((t) => t.id !== ws.id);
  });
});

describe("tenants migrate", { timeout: 300_000 }, () => {
  it("over 200 tenants with 3 made to fail reports exactly those 3, exits 1, and a rerun finishes them", async () => {
    const migrations = join(dir, "migrations");
    mkdirSync(migrations);
    for (const m of loadMigrations("tenant"))
      copyFileSync(join(root, "migrations/tenant", `${m.name}.sql`), join(migrations, `${m.name}.sql`));
    writeFileSync(join(migrations, "9100_fleet_probe.sql"), "CREATE TABLE fleet_probe (x INTEGER);\n");
    const doomed = [tenants[3], tenants[77], tenants[150]] as WorkspaceRow[];
    for (const ws of doomed) await (await tenantDb(config, ws)).execute("CREATE TABLE fleet_probe (y TEXT)");

    const first = await islet("--json", "tenants", "migrate", "--dir", migrations, "--concurrency", "8");
    expect(first.code).toBe(1);
    type Report = {
      tenants: { workspace: string; status: string; backup: string; error: string }[];
      failed: number;
    };
    const report = json<Report>(first);
    expect(report.tenants).toHaveLength(tenants.length);
    const failed = report.tenants.filter((t) => t.status === "failed");
    expect(failed.map((t) => t.workspace).sort()).toEqual(doomed.map((w) => w.id).sort());
    for (const t of failed) expect(t.error).toContain("9100_fleet_probe");
    // Every tenant with something pending got a backup point first, the failed ones included.
    expect(report.tenants.every((t) => t.backup.startsWith("bak_"))).toBe(true);

    for (const ws of doomed) await (await tenantDb(config, ws)).execute("DROP TABLE fleet_probe");
    const rerun = await islet("--json", "tenants", "migrate", "--dir", migrations, "--concurrency", "8");
    expect(rerun.code).toBe(0);
    const second = json<Report>(rerun);
    const migrated = second.tenants.filter((t) => t.status === "migrated").map((t) => t.workspace);
    expect(migrated.sort()).toEqual(doomed.map((w) => w.id).sort());
    expect(second.tenants.filter((t) => t.status === "up_to_date")).toHaveLength(tenants.length - 3);
  });
});
