// The webhook part of `npm run bench -- faults` (issue 31): events written through the real Worker
// (wrangler's local runtime, its in-memory queue and consumer) to a local receiver that fails the
// first attempt of every fourth event, then the scheduled sweep re-sending 1,000 deliveries left
// pending (as a queue that refused every send would leave them). Counted: events written, delivered
// (a 2xx under their webhook-id), lost (never delivered), duplicated (2xx beyond the first).
// Sizes: BENCH_WEBHOOK_EVENTS (default 100), BENCH_SWEEP_PENDING (default 1,000).
import { createServer, type Server } from "node:http";
import { parseConfig } from "../src/config";
import { tenantDb } from "../src/db/tenant/client";
import { newId } from "../src/lib/ids";
import { seedOwner, startWorker } from "./_stack";
import { fmt } from "./table";

const EVENTS = Number(process.env.BENCH_WEBHOOK_EVENTS ?? 100);
const PENDING = Number(process.env.BENCH_SWEEP_PENDING ?? 1_000);
const WAIT_MS = 120_000;

interface Receiver {
  url: string;
  /** 2xx answers per webhook-id, and every attempt. */
  delivered: Map<string, number>;
  attempts: number;
  close(): Promise<void>;
}

/** Answers 500 to the first attempt of every `failEvery`-th new webhook-id, 200 otherwise. */
async function receiver(failEvery: number): Promise<Receiver> {
  const delivered = new Map<string, number>();
  const seen = new Set<string>();
  let fresh = 0;
  const state = { attempts: 0 };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      state.attempts++;
      const id = String(req.headers["webhook-id"] ?? "");
      if (!seen.has(id)) {
        seen.add(id);
        if (++fresh % failEvery === 0) {
          res.writeHead(500).end("injected failure");
          return;
        }
      }
      delivered.set(id, (delivered.get(id) ?? 0) + 1);
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    delivered,
    get attempts() {
      return state.attempts;
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function until(done: () => boolean): Promise<number> {
  const started = performance.now();
  while (!done() && performance.now() - started < WAIT_MS) await new Promise((r) => setTimeout(r, 50));
  return performance.now() - started;
}

/** The table rows of the webhook cases. */
export async function webhookFaults(vars: Record<string, string>): Promise<(string | number)[][]> {
  const config = parseConfig(vars);
  if (!config.ok) throw new Error(config.problems.join("; "));
  const worker = await startWorker(vars);
  const target = await receiver(4);
  const rows: (string | number)[][] = [];
  try {
    const owner = await seedOwner(vars);
    const ws = `/v1/workspaces/${owner.workspace.id}`;
    const made = await worker.call(`${ws}/tables`, {
      method: "POST",
      token: owner.token,
      body: { name: "events", columns: [{ name: "n", type: "integer" }] },
    });
    if (made.status !== 201) throw new Error(`bench: table not made (${made.status})`);
    const hook = await worker.call(`${ws}/webhooks`, {
      method: "POST",
      token: owner.token,
      body: { url: target.url, events: ["row.created"] },
    });
    if (hook.status !== 201)
      throw new Error(`bench: endpoint not made (${hook.status}: ${await hook.text()})`);
    const { webhook } = (await hook.json()) as { webhook: { id: string } };

    for (let n = 0; n < EVENTS; n++) {
      const res = await worker.call(`${ws}/tables/events/rows`, {
        method: "POST",
        token: owner.token,
        body: { n },
      });
      await res.arrayBuffer();
    }
    const ms = await until(() => target.delivered.size >= EVENTS);
    const duplicated = [...target.delivered.values()].reduce((sum, c) => sum + c - 1, 0);
    rows.push([
      "row events, every 4th endpoint answer a 500 (retried by the queue)",
      EVENTS,
      target.delivered.size,
      EVENTS - target.delivered.size,
      duplicated,
      target.attempts,
      fmt(ms / 1000, 1),
    ]);

    // Deliveries a refusing queue left pending, past the sweep's grace period: one run re-sends them.
    const db = await tenantDb(config.config, owner.workspace);
    const old = Date.now() - 10 * 60_000;
    for (let start = 0; start < PENDING; start += 200) {
      await db.batch(
        Array.from({ length: Math.min(200, PENDING - start) }, (_, i) => ({
          sql: `INSERT INTO _islet_webhook_deliveries
                (id, endpoint_id, event_type, payload, created_at, updated_at, next_attempt_at)
                VALUES (?, ?, 'row.created', ?, ?, ?, ?)`,
          args: [
            newId("whd"),
            webhook.id,
            JSON.stringify({
              type: "row.created",
              timestamp: new Date(old).toISOString(),
              data: { n: start + i },
            }),
            old,
            old,
            old,
          ],
        })),
        "write",
      );
    }
    const before = target.delivered.size;
    const sweepStarted = performance.now();
    await worker.scheduled("*/5 * * * *");
    const sweepMs = performance.now() - sweepStarted;
    // The sweep re-sends 500 per workspace per run: the rest go in the next run.
    const runs = Math.ceil(PENDING / 500);
    for (let run = 1; run < runs; run++) await worker.scheduled("*/5 * * * *");
    const drainMs = await until(() => target.delivered.size - before >= PENDING);
    rows.push([
      `${PENDING} deliveries left pending, re-sent by the sweep (${runs} run(s), the first ${fmt(sweepMs, 0)} ms; every 4th answered 500 once)`,
      PENDING,
      target.delivered.size - before,
      PENDING - (target.delivered.size - before),
      [...target.delivered.values()].reduce((sum, c) => sum + c - 1, 0) - duplicated,
      "",
      fmt((sweepMs + drainMs) / 1000, 1),
    ]);
  } finally {
    await target.close();
    await worker.dispose();
  }
  return rows;
}
