// Audit cost: a tenant write with its audit event in the same batch (commitWithAudit) against the
// same write alone, sequential and with 8 concurrent writers racing for the chain's tail; then
// export and verification throughput against a plain paged read of the same rows. devdb runs
// in-process with JWT auth; the client is the real @libsql/client over HTTP.
import type { Client, InValue } from "@libsql/client";
import { createNamespace, mintDevdbToken, namespaceUrl } from "../scripts/local-stack";
import { parseConfig } from "../src/config";
import { libsqlClient } from "../src/db/libsql";
import { loadMigrations } from "../src/db/migration-files";
import { applyMigrations } from "../src/db/migrator";
import { newId } from "../src/lib/ids";
import { createLogger } from "../src/lib/logger";
import { SandboxBudget } from "../src/sandbox/budget";
import {
  type AuditRow,
  auditInsertSql,
  auditValues,
  chainHash,
  commitWithAudit,
  GENESIS_HASH,
  readAuditPage,
  streamAuditLog,
  verifyChain,
} from "../src/services/audit";
import type { ServiceContext } from "../src/services/core/context";
import { startStack } from "./_stack";
import { fmt, median, percentile, printTable, time } from "./table";

const SEQUENTIAL_WRITES = 300;
const WRITERS = 8;
const WRITES_PER_WRITER = 40;
const EXPORT_EVENTS = 50_000;
const PAGE = 1000;

const insert = (i: number) => ({
  sql: "INSERT INTO items (name, qty) VALUES (?, ?)",
  args: [`item ${i}`, i],
});
const event = (i: number) => ({
  action: "item.create",
  targetType: "item",
  targetId: String(i),
  details: { i },
});

async function seedChain(tenant: Client, count: number): Promise<void> {
  const tail = await tenant.execute("SELECT hash FROM _islet_audit_log ORDER BY seq DESC LIMIT 1");
  let prev = tail.rows[0] ? String(tail.rows[0].hash) : GENESIS_HASH;
  for (let start = 0; start < count; start += 500) {
    const args: InValue[] = [];
    const end = Math.min(count, start + 500);
    for (let i = start; i < end; i++) {
      const row: AuditRow = {
        id: newId("aud"),
        ts: Date.now(),
        actor_type: "user",
        actor_id: "usr_bench",
        action: "item.update",
        target_type: "item",
        target_id: String(i),
        ip: "203.0.113.9",
        user_agent: "Mozilla/5.0 (bench)",
        request_id: newId("req"),
        details: JSON.stringify({ i, fields: ["name", "qty"] }),
      };
      const hash = await chainHash(prev, row);
      args.push(...auditValues(row), prev, hash);
      prev = hash;
    }
    await tenant.execute({ sql: auditInsertSql(end - start), args });
  }
}

async function consume(stream: ReadableStream<Uint8Array>): Promise<number> {
  let bytes = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return bytes;
    bytes += value.byteLength;
  }
}

export default async function (): Promise<void> {
  const stack = await startStack();
  try {
    const parsed = parseConfig(stack.vars);
    if (!parsed.ok) throw new Error(parsed.problems.join("; "));
    const { DEVDB_ADMIN_URL = "", DEVDB_ADMIN_TOKEN, DEVDB_JWT_PRIVATE_KEY = "" } = stack.vars;
    const ns = "bench-audit";
    await createNamespace(DEVDB_ADMIN_URL, DEVDB_ADMIN_TOKEN, ns);
    const token = await mintDevdbToken(DEVDB_JWT_PRIVATE_KEY, ns);
    const open = () => libsqlClient(namespaceUrl(stack.devdbUrl, ns), token);
    const tenant = open();
    await applyMigrations(tenant, loadMigrations("tenant"));
    await tenant.execute(
      "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER NOT NULL)",
    );
    const ctx: ServiceContext = {
      env: {},
      config: parsed.config,
      actor: { type: "user", userId: "usr_bench", sessionId: "ses_bench", issuedAt: Date.now() },
      requestId: "req_bench",
      ip: "203.0.113.9",
      userAgent: "bench",
      logger: createLogger({ bench: "audit" }),
      waitUntil: () => {},
      sandboxBudget: new SandboxBudget(),
    };

    // Sequential writes, interleaved so both series see the same server state.
    const plain: number[] = [];
    const audited: number[] = [];
    for (let i = 0; i < SEQUENTIAL_WRITES; i++) {
      plain.push(await time(() => tenant.batch([insert(i)], "write")));
      audited.push(await time(() => commitWithAudit(ctx, tenant, [insert(i)], [event(i)])));
    }

    // Concurrent writers, each with its own client (as concurrent requests would have).
    const concurrent = async (withAudit: boolean) => {
      const clients = Array.from({ length: WRITERS }, open);
      const ms = await time(() =>
        Promise.all(
          clients.map(async (client, w) => {
            for (let i = 0; i < WRITES_PER_WRITER; i++) {
              const n = w * 1000 + i;
              if (withAudit) await commitWithAudit(ctx, client, [insert(n)], [event(n)]);
              else await client.batch([insert(n)], "write");
            }
          }),
        ),
      );
      for (const client of clients) client.close();
      return (WRITERS * WRITES_PER_WRITER * 1000) / ms;
    };
    const plainRate = await concurrent(false);
    const auditedRate = await concurrent(true);

    printTable(
      ["write (one row)", "median ms", "p95 ms", "writes/s (8 concurrent writers)", "ratio vs plain"],
      [
        ["plain batch", fmt(median(plain)), fmt(percentile(plain, 95)), fmt(plainRate), "1.00x"],
        [
          "commitWithAudit (+1 event, chained)",
          fmt(median(audited)),
          fmt(percentile(audited, 95)),
          fmt(auditedRate),
          `${fmt(median(audited) / median(plain))}x latency, ${fmt(plainRate / auditedRate)}x fewer writes/s`,
        ],
      ],
    );

    await seedChain(tenant, EXPORT_EVENTS);
    const total = Number((await tenant.execute("SELECT COUNT(*) AS n FROM _islet_audit_log")).rows[0]?.n);
    const upToSeq = Number((await tenant.execute("SELECT MAX(seq) AS s FROM _islet_audit_log")).rows[0]?.s);
    const rawMs = await time(async () => {
      for (let after = 0; ; ) {
        const rows = await readAuditPage(tenant, { order: "asc", afterSeq: after, limit: PAGE });
        const last = rows.at(-1);
        if (!last || rows.length < PAGE) break;
        after = last.seq;
      }
    });
    const rows: (string | number)[][] = [
      ["paged read (no encoding)", total, fmt(rawMs), fmt((total * 1000) / rawMs), "-", "1.00x"],
    ];
    for (const format of ["ndjson", "csv"] as const) {
      let bytes = 0;
      const ms = await time(async () => {
        bytes = await consume(streamAuditLog(ctx, open(), { format, filter: {}, upToSeq }));
      });
      rows.push([
        `export ${format} (streamed)`,
        total,
        fmt(ms),
        fmt((total * 1000) / ms),
        fmt(bytes / 1e6, 1),
        `${fmt(ms / rawMs)}x`,
      ]);
    }
    let checked = 0;
    const verifyMs = await time(async () => {
      checked = (await verifyChain(tenant)).checked;
    });
    rows.push([
      "verify chain (SHA-256 per row)",
      checked,
      fmt(verifyMs),
      fmt((checked * 1000) / verifyMs),
      "-",
      `${fmt(verifyMs / rawMs)}x`,
    ]);
    console.log("");
    printTable(["read path", "events", "ms", "events/s", "MB", "ratio vs paged read"], rows);
    tenant.close();
  } finally {
    await stack.stop();
  }
}
