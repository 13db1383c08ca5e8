// Concurrent streams: serialised writers, busy timeouts that end in SQLITE_BUSY (never a hang),
// and idle streams that expire and roll back.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caught, clientFor, createNamespace, hranaPost, startTestDevdb, type TestDevdb } from "./testing.ts";

let devdb: TestDevdb;
// Writers give up after 100 ms; streams keep sqld's 10 s idle timeout, far beyond any wait here.
const BUSY_MS = 100;

beforeAll(async () => {
  devdb = await startTestDevdb({ busyTimeoutMs: BUSY_MS });
});
afterAll(async () => {
  await devdb.cleanup();
});

describe("concurrent writers", () => {
  it("8 clients x 200 read-modify-write transactions lose no increment", async () => {
    // Its own server with a generous busy timeout: 8 writers queue behind each other all along.
    const local = await startTestDevdb({ busyTimeoutMs: 10_000 });
    const setup = clientFor(local.url);
    await setup.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)");
    await setup.execute("INSERT INTO counter VALUES (1, 0)");
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        const db = clientFor(local.url);
        for (let i = 0; i < 200; i++) {
          const tx = await db.transaction("write");
          const { rows } = await tx.execute("SELECT n FROM counter WHERE id = 1");
          await tx.execute({ sql: "UPDATE counter SET n = ? WHERE id = 1", args: [Number(rows[0]?.n) + 1] });
          await tx.commit();
        }
        db.close();
      }),
    );
    expect((await setup.execute("SELECT n FROM counter")).rows[0]?.n).toBe(1600);
    setup.close();
    await local.cleanup();
  });

  it("answers SQLITE_BUSY when the write lock is held past the busy timeout, then recovers", async () => {
    await createNamespace(devdb, "busy");
    const a = clientFor(devdb.url, { namespace: "busy" });
    const b = clientFor(devdb.url, { namespace: "busy" });
    await a.execute("CREATE TABLE t (x)");
    const holder = await a.transaction("write");
    await holder.execute("INSERT INTO t VALUES ('held')");

    const waiting = b.execute("INSERT INTO t VALUES ('waiter')");
    expect((await caught(() => waiting)).code).toBe("SQLITE_BUSY");
    // Readers are never blocked by the writer (WAL) and do not see its uncommitted row.
    expect((await b.execute("SELECT count(*) AS n FROM t")).rows[0]?.n).toBe(0);

    await holder.commit();
    await b.execute("INSERT INTO t VALUES ('after')");
    expect((await b.execute("SELECT x FROM t ORDER BY rowid")).rows.map((r) => r.x)).toEqual([
      "held",
      "after",
    ]);
    a.close();
    b.close();
  });

  it("hands the lock to a waiting writer as soon as the holder commits", async () => {
    await createNamespace(devdb, "handover");
    const a = clientFor(devdb.url, { namespace: "handover" });
    const b = clientFor(devdb.url, { namespace: "handover" });
    await a.execute("CREATE TABLE t (x)");
    const holder = await a.transaction("write");
    await holder.execute("INSERT INTO t VALUES (1)");
    const waiting = b.execute("INSERT INTO t VALUES (2)");
    await holder.commit();
    await waiting;
    expect((await b.execute("SELECT count(*) AS n FROM t")).rows[0]?.n).toBe(2);
    a.close();
    b.close();
  });

  it("refuses a deferred transaction's write after another writer committed, with no lost update", async () => {
    await createNamespace(devdb, "deferred");
    const a = clientFor(devdb.url, { namespace: "deferred" });
    const b = clientFor(devdb.url, { namespace: "deferred" });
    await a.execute("CREATE TABLE c (n INTEGER)");
    await a.execute("INSERT INTO c VALUES (0)");
    const tx = await a.transaction("deferred");
    const { rows } = await tx.execute("SELECT n FROM c");
    await b.execute("UPDATE c SET n = n + 10");
    const error = await caught(() =>
      tx.execute({ sql: "UPDATE c SET n = ?", args: [Number(rows[0]?.n) + 1] }),
    );
    expect(error.code).toBe("SQLITE_BUSY");
    await tx.rollback();
    // The connection that saw the conflict serves fresh data afterwards, and writes commit.
    await a.execute("UPDATE c SET n = n + 1");
    expect((await b.execute("SELECT n FROM c")).rows[0]?.n).toBe(11);
    a.close();
    b.close();
  });
});

describe("the connection cap", () => {
  it("holds at most maxConnections connections: one stream more waits, then SQLITE_BUSY, never a hang", async () => {
    // Each connection is a thread: two open transactions on a one-connection server cannot both
    // have one. The second waits its busy timeout for the first to give its thread back.
    const capped = await startTestDevdb({ maxConnections: 1, busyTimeoutMs: BUSY_MS });
    await createNamespace(capped, "a");
    await createNamespace(capped, "b");
    const a = clientFor(capped.url, { namespace: "a" });
    const b = clientFor(capped.url, { namespace: "b" });
    const holder = await a.transaction("write");
    await holder.execute("SELECT 1");
    const refused = await caught(() => b.execute("SELECT 2"));
    expect([refused.code, refused.message]).toEqual(["SQLITE_BUSY", expect.stringContaining("connections")]);
    await holder.commit();
    // The thread is given back with the transaction's end: the other namespace runs on it.
    expect((await b.execute("SELECT 2 AS two")).rows[0]?.two).toBe(2);
    a.close();
    b.close();
    await capped.cleanup();
  });
});

describe("idle streams", () => {
  const IDLE_MS = 400;
  let idle: TestDevdb;
  beforeAll(async () => {
    idle = await startTestDevdb({ streamIdleTimeoutMs: IDLE_MS });
  });
  afterAll(async () => {
    await idle.cleanup();
  });

  it("expire, roll back their transaction and release the write lock", async () => {
    await createNamespace(idle, "idle");
    const db = clientFor(idle.url, { namespace: "idle" });
    await db.execute("CREATE TABLE t (x)");
    const tx = await db.transaction("write");
    await tx.execute("INSERT INTO t VALUES ('abandoned')");
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS * 2));

    expect((await caught(() => tx.execute("SELECT 1"))).code).toBe("STREAM_EXPIRED");
    await db.execute("INSERT INTO t VALUES ('fresh')");
    expect((await db.execute("SELECT x FROM t")).rows.map((r) => r.x)).toEqual(["fresh"]);
    db.close();
  });

  it("of a client process that was killed mid-transaction release its write lock on expiry", async () => {
    // Its own server: writers refused at once, streams expiring after 1.5 s.
    const expiry = 1_500;
    const local = await startTestDevdb({ streamIdleTimeoutMs: expiry, busyTimeoutMs: 100 });
    await createNamespace(local, "killed");
    const db = clientFor(local.url, { namespace: "killed" });
    await db.execute("CREATE TABLE t (x)");
    // A real @libsql/client in another process opens a write transaction, writes, says so, and
    // then waits; it is killed with SIGKILL, so it never commits, rolls back or closes.
    const script = `
      import { createClient } from "@libsql/client";
      const db = createClient({ url: ${JSON.stringify(local.url)}, fetch: (r) => { const h = new Headers(r.headers); h.set("x-namespace", "killed"); return fetch(new Request(r, { headers: h })); } });
      const tx = await db.transaction("write");
      await tx.execute("INSERT INTO t VALUES ('from the killed client')");
      console.log("holding");
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      cwd: process.cwd(),
      stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise<void>((resolve, reject) => {
      child.once("exit", (code) => reject(new Error(`the client exited early (${code})`)));
      child.stdout.on("data", (chunk: Buffer) => {
        if (chunk.toString().includes("holding")) resolve();
      });
    });
    // While it lives, its transaction holds the write lock: another writer is refused.
    const writer = clientFor(local.url, { namespace: "killed" });
    expect((await caught(() => writer.execute("INSERT INTO t VALUES ('too early')"))).code).toMatch(/BUSY/);
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    // Within the stream expiry the lock is free and the killed client's write is gone.
    await new Promise((resolve) => setTimeout(resolve, expiry * 2));
    await writer.execute("INSERT INTO t VALUES ('after')");
    expect((await writer.execute("SELECT x FROM t")).rows.map((r) => r.x)).toEqual(["after"]);
    writer.close();
    db.close();
    await local.cleanup();
  });

  it("stay alive while they are used", async () => {
    const open = await hranaPost(idle, "/v2/pipeline", {
      requests: [{ type: "execute", stmt: { sql: "BEGIN" } }],
    });
    let baton = open.json().baton as string;
    // Six requests a quarter of the timeout apart: together well past it, none idle for long.
    for (let i = 0; i < 6; i++) {
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS / 4));
      const next = await hranaPost(idle, "/v2/pipeline", {
        baton,
        requests: [{ type: "execute", stmt: { sql: "SELECT 1" } }],
      });
      expect(next.status).toBe(200);
      baton = next.json().baton as string;
    }
    await hranaPost(idle, "/v2/pipeline", { baton, requests: [{ type: "close" }] });
  });
});
