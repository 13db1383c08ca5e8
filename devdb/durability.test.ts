// Data survives restarts; a crash loses only the transaction that was open; the CLI prints its
// contract lines and stops cleanly on SIGTERM.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { clientFor, createNamespace, startTestDevdb } from "./testing.ts";

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "devdb-durable-"));
  dirs.push(dir);
  return dir;
}

describe("restarts", () => {
  it("keep committed data and drop the transaction open at stop()", async () => {
    const dir = await tempDir();
    const first = await startTestDevdb({ dir });
    await createNamespace(first, "keep");
    const db = clientFor(first.url, { namespace: "keep" });
    await db.execute("CREATE TABLE t (x TEXT)");
    await db.execute("INSERT INTO t VALUES ('committed')");
    const tx = await db.transaction("write");
    await tx.execute("INSERT INTO t VALUES ('open at stop')");
    await first.stop();
    // stop() checkpoints: the WAL is folded back into the database file.
    const wal = join(dir, "keep.db-wal");
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);

    const second = await startTestDevdb({ dir });
    const again = clientFor(second.url, { namespace: "keep" });
    expect((await again.execute("SELECT x FROM t")).rows.map((r) => r.x)).toEqual(["committed"]);
    await again.execute("INSERT INTO t VALUES ('after restart')");
    expect((await again.execute("SELECT count(*) AS n FROM t")).rows[0]?.n).toBe(2);
    again.close();
    db.close();
    await second.stop();
  });
});

interface Running {
  child: ChildProcess;
  url: string;
  adminUrl: string;
  stdout: () => string;
}

async function runCli(dir: string): Promise<Running> {
  const cli = fileURLToPath(new URL("./cli.ts", import.meta.url).href);
  const child = spawn(
    process.execPath,
    ["--import", "tsx", cli, "--port", "0", "--admin-port", "0", "--dir", dir],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  children.push(child);
  let out = "";
  let err = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("devdb admin on")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`devdb exited with ${code}: ${err}`)));
  });
  const url = /^devdb listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out)?.[1];
  const adminUrl = /^devdb admin on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out)?.[1];
  if (!url || !adminUrl) throw new Error(`unexpected CLI output: ${out}`);
  return { child, url, adminUrl, stdout: () => out };
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });

describe("the CLI", () => {
  it("prints its two lines, survives a crash mid-transaction and stops cleanly on SIGTERM", async () => {
    const dir = await tempDir();
    const first = await runCli(dir);
    expect(first.stdout().trim().split("\n")).toEqual([
      `devdb listening on ${first.url}`,
      `devdb admin on ${first.adminUrl}`,
    ]);
    const db = clientFor(first.url);
    await db.execute("CREATE TABLE ledger (entry TEXT)");
    await db.batch(["INSERT INTO ledger VALUES ('one')", "INSERT INTO ledger VALUES ('two')"], "write");
    const tx = await db.transaction("write");
    await tx.execute("INSERT INTO ledger VALUES ('in flight')");

    first.child.kill("SIGKILL");
    await exited(first.child);
    db.close();

    const second = await runCli(dir);
    const after = clientFor(second.url);
    expect((await after.execute("SELECT entry FROM ledger ORDER BY rowid")).rows.map((r) => r.entry)).toEqual(
      ["one", "two"],
    );
    after.close();

    second.child.kill("SIGTERM");
    expect(await exited(second.child)).toBe(0);
    const wal = join(dir, "default.db-wal");
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
  });
});
