// devdb over HTTP (real @libsql/client, Hrana v2 JSON) against the same work done in-process
// with the `libsql` package on a file with the same pragmas (WAL, synchronous=NORMAL).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import Database from "libsql";
import { startDevdb } from "../devdb/server.ts";
import { fmt, printTable, time } from "./table.ts";

const INSERTS = 10_000;
const SELECTS = 10_000;
const TRANSACTIONS = 1_000;
const SCHEMA = "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL)";

// Same pseudo-random ids for both sides.
const ids = Array.from({ length: SELECTS }, (_, i) => ((i * 7919) % INSERTS) + 1);

async function overHttp(url: string): Promise<number[]> {
  const db = createClient({ url });
  await db.execute(SCHEMA);
  const insert = await time(async () => {
    const tx = await db.transaction("write");
    for (let i = 0; i < INSERTS; i++) {
      await tx.execute({ sql: "INSERT INTO items (name, qty) VALUES (?, ?)", args: [`item ${i}`, i] });
    }
    await tx.commit();
  });
  const select = await time(async () => {
    for (const id of ids) await db.execute({ sql: "SELECT name, qty FROM items WHERE id = ?", args: [id] });
  });
  const transactions = await time(async () => {
    for (let i = 0; i < TRANSACTIONS; i++) {
      const tx = await db.transaction("write");
      const { rows } = await tx.execute({
        sql: "SELECT qty FROM items WHERE id = ?",
        args: [(i % INSERTS) + 1],
      });
      await tx.execute({
        sql: "UPDATE items SET qty = ? WHERE id = ?",
        args: [Number(rows[0]?.qty) + 1, (i % INSERTS) + 1],
      });
      await tx.commit();
    }
  });
  db.close();
  return [insert, select, transactions];
}

async function inProcess(path: string): Promise<number[]> {
  // libsql 0.6's typings want the options and query options arguments everywhere.
  const db = new Database(path, {}) as unknown as {
    defaultSafeIntegers(on: boolean): void;
    exec(sql: string): void;
    prepare(sql: string): ReturnType<InstanceType<typeof Database>["prepare"]>;
    close(): void;
  };
  db.defaultSafeIntegers(true);
  db.exec("PRAGMA journal_mode=WAL");
  db.exec("PRAGMA synchronous=NORMAL");
  db.exec(SCHEMA);
  const insertStmt = db.prepare("INSERT INTO items (name, qty) VALUES (?, ?)");
  const selectStmt = db.prepare("SELECT name, qty FROM items WHERE id = ?").raw(true);
  const readQty = db.prepare("SELECT qty FROM items WHERE id = ?").raw(true);
  const update = db.prepare("UPDATE items SET qty = ? WHERE id = ?");
  const insert = await time(async () => {
    db.exec("BEGIN IMMEDIATE");
    for (let i = 0; i < INSERTS; i++) insertStmt.run([`item ${i}`, BigInt(i)]);
    db.exec("COMMIT");
  });
  const select = await time(async () => {
    for (const id of ids) selectStmt.get([BigInt(id)]);
  });
  const transactions = await time(async () => {
    for (let i = 0; i < TRANSACTIONS; i++) {
      const id = BigInt((i % INSERTS) + 1);
      db.exec("BEGIN IMMEDIATE");
      const [qty] = readQty.get([id]) as [bigint];
      update.run([qty + 1n, id]);
      db.exec("COMMIT");
    }
  });
  db.close();
  return [insert, select, transactions];
}

export default async function (): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "devdb-bench-"));
  const devdb = await startDevdb({ dir: join(dir, "server") });
  try {
    const http = await overHttp(devdb.url);
    const local = await inProcess(join(dir, "local.db"));
    // The floor: a raw fetch POST of an empty pipeline (HTTP + JSON, no SQL, no client library).
    const probes = 2000;
    const floor = await time(async () => {
      for (let i = 0; i < probes; i++) {
        const res = await fetch(`${devdb.url}/v2/pipeline`, {
          method: "POST",
          body: '{"requests":[{"type":"close"}]}',
        });
        await res.arrayBuffer();
      }
    });
    const work = [
      [`${INSERTS.toLocaleString("en")} single-row inserts, one transaction`, INSERTS],
      [`${SELECTS.toLocaleString("en")} point selects (autocommit)`, SELECTS],
      [`${TRANSACTIONS.toLocaleString("en")} small transactions (read + update)`, TRANSACTIONS],
    ] as const;
    printTable(
      ["workload", "devdb over HTTP (ms)", "per op (µs)", "libsql in-process (ms)", "per op (µs)", "ratio"],
      work.map(([label, ops], i) => {
        const h = http[i] as number;
        const l = local[i] as number;
        return [label, fmt(h), fmt((h * 1000) / ops), fmt(l), fmt((l * 1000) / ops), `${fmt(h / l, 1)}x`];
      }),
    );
    console.log(
      `\nFloor: a raw fetch POST of an empty pipeline takes ${fmt((floor * 1000) / probes)} µs here. Over HTTP` +
        " every statement is a request: @libsql/client sends each transaction statement as its own" +
        " pipeline, and each autocommit execute opens, runs and closes a stream in one round trip.",
    );
  } finally {
    await devdb.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
