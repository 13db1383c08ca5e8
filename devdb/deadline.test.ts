// Issue 28 item 7: a statement past its deadline is interrupted inside SQLite (not merely given up
// on by the client), its namespace stays usable, and while it runs every other namespace answers.
// The runaway statement below would count for hours; each test asserts it was interrupted, never
// how long anything took.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { caught, clientFor, createNamespace, startTestDevdb, type TestDevdb } from "./testing.ts";

const RUNAWAY = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";

let devdb: TestDevdb;

beforeAll(async () => {
  devdb = await startTestDevdb({ statementTimeoutMs: 1000 });
  for (const name of ["long", "other", "control"]) await createNamespace(devdb, name);
});
afterAll(async () => {
  await devdb.cleanup();
});

describe("statement deadline", () => {
  it("interrupts the statement in SQLite and answers a Hrana error; the stream goes on", async () => {
    const db = clientFor(devdb.url, { namespace: "long" });
    await db.execute("CREATE TABLE IF NOT EXISTS t (x)");
    const error = await caught(() => db.execute(RUNAWAY));
    expect(error.code).toBe("SQLITE_INTERRUPT");
    expect(error.message).toContain("statement deadline");
    // A `sequence` (executeMultiple) is bounded as a whole.
    expect((await caught(() => db.executeMultiple(`SELECT 1; ${RUNAWAY}`))).code).toBe("SQLITE_INTERRUPT");
    await db.execute("INSERT INTO t VALUES (1)");
    expect((await db.execute("SELECT count(*) AS n FROM t")).rows[0]?.n).toBe(1);
    db.close();
  });

  it("lets other namespaces answer while a statement runs", async () => {
    const long = clientFor(devdb.url, { namespace: "long" });
    let settled = false;
    const running = caught(() => long.execute(RUNAWAY)).finally(() => {
      settled = true;
    });
    const other = clientFor(devdb.url, { namespace: "other" });
    const control = clientFor(devdb.url, { namespace: "control" });
    let answeredMeanwhile = 0;
    // Until the long statement ends, the others keep answering (on one thread they would all wait).
    for (let round = 0; round < 5; round++) {
      expect((await other.execute("SELECT 1 AS one")).rows[0]?.one).toBe(1);
      expect((await control.execute("SELECT 2 AS two")).rows[0]?.two).toBe(2);
      if (!settled) answeredMeanwhile++;
    }
    expect(answeredMeanwhile).toBeGreaterThan(0);
    expect((await running).code).toBe("SQLITE_INTERRUPT");
    for (const client of [long, other, control]) client.close();
  });

  it("frees its thread: with a single connection thread, the next namespace runs after it", async () => {
    // If the interrupt only abandoned the statement, the one thread would stay busy counting and
    // every later statement would wait for it, then fail with SQLITE_BUSY.
    const single = await startTestDevdb({ statementTimeoutMs: 500, maxConnections: 1 });
    await createNamespace(single, "a");
    await createNamespace(single, "b");
    const a = clientFor(single.url, { namespace: "a" });
    const b = clientFor(single.url, { namespace: "b" });
    expect((await caught(() => a.execute(RUNAWAY))).code).toBe("SQLITE_INTERRUPT");
    expect((await b.execute("SELECT 3 AS three")).rows[0]?.three).toBe(3);
    expect((await caught(() => a.execute(RUNAWAY))).code).toBe("SQLITE_INTERRUPT");
    expect((await a.execute("SELECT 4 AS four")).rows[0]?.four).toBe(4);
    a.close();
    b.close();
    await single.cleanup();
  });

  it("inside a transaction rolls it back, refuses the rest of the stream, frees the write lock", async () => {
    const db = clientFor(devdb.url, { namespace: "long" });
    await db.execute("CREATE TABLE IF NOT EXISTS tx (x)");
    const tx = await db.transaction("write");
    await tx.execute("INSERT INTO tx VALUES ('lost')");
    expect((await caught(() => tx.execute(RUNAWAY))).code).toBe("SQLITE_INTERRUPT");
    // The client cannot carry on as if the transaction were open: its next write would commit alone.
    const after = await caught(() => tx.execute("INSERT INTO tx VALUES ('after')"));
    expect([after.code, after.message]).toEqual([
      "SQLITE_INTERRUPT",
      expect.stringContaining("transaction was rolled back"),
    ]);
    await caught(() => tx.commit());
    tx.close();
    // The write lock is free at once (another writer does not wait for the stream to expire), and
    // nothing of the transaction was committed.
    const other = clientFor(devdb.url, { namespace: "long", intMode: "number" });
    await other.execute("INSERT INTO tx VALUES ('other')");
    expect((await other.execute("SELECT x FROM tx")).rows.map((r) => r.x)).toEqual(["other"]);
    db.close();
    other.close();
  });
});
