// `npm run bench -- gatekeeper`: what one Gatekeeper Durable Object decides per second, and what
// the hop adds to a request. A tiny Worker exposing the real Gatekeeper class
// (durable-objects/gatekeeper/index.ts) runs in workerd under wrangler's unstable_startWorker, from a
// config and entry written to a temporary directory (removed afterwards).
//
// Rows, all in one run:
// - decisions/s on ONE object, sequential and 8-way concurrent, driven from inside the Worker
//   (Worker → DO RPC, as the middleware does), enterprise rules (50,000/min + monthly), every
//   decision admitted; baseline: an empty DO method (`Echo`) called the same way;
// - the pure algorithm in Node (no RPC), for how much of the hop is the decision itself;
// - HTTP latency from Node to the Worker, with and without one gate() hop: median, p99, added.
//
// Cloudflare documents a soft limit of about 1,000 requests/s per Durable Object (more for
// trivial handlers). Enterprise is 50,000/min = 833/s sustained for one principal, so one object
// carries it if its decisions/s (below) stays well above that in production too. A principal
// that needs more is split into N shard objects (`key:<id>#0…N-1`) by a deterministic choice per
// request (e.g. hash of the request id); shard i gets floor(limit/N) (+1 for i < limit mod N).
// Each shard is exact for its share and the shares sum to the limit, so the whole never admits
// more than the limit; the cost is refusals when traffic lands unevenly (retry the next shard
// once to soften it). Revocations and lockouts are then written to every shard before returning.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { unstable_startWorker } from "wrangler";
import { PrincipalGate } from "../durable-objects/gatekeeper/principal";
import { planRules } from "../src/lib/plans";
import { fmt, median, percentile, printTable } from "./table";

const DECISIONS = Number(process.env.BENCH_GATEKEEPER_N ?? 4_000);
const PURE_DECISIONS = 40_000;
const ROUNDS = 3;
const LATENCY_SAMPLES = Number(process.env.BENCH_GATEKEEPER_SAMPLES ?? 1_500);
const LANES = 8;
const DEADLINE_MS = 180_000;

const root = resolve(import.meta.dirname, "..");

const WORKER = `
import { DurableObject } from "cloudflare:workers";
import { Gatekeeper } from ${JSON.stringify(join(root, "durable-objects/gatekeeper/index.ts"))};
import { planRules } from ${JSON.stringify(join(root, "src/lib/plans.ts"))};
export { Gatekeeper };

/** Baseline: the same RPC shape with no work behind it. */
export class Echo extends DurableObject {
  async check(input) { return { allowed: true, cost: input.cost ?? 1 }; }
}

const rules = planRules("enterprise");

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const ns = url.searchParams.get("ns") === "echo" ? env.ECHO : env.GATEKEEPER;
    const stub = ns.get(ns.idFromName(url.searchParams.get("p") ?? "bench"));
    if (url.pathname === "/none") return new Response("ok");
    if (url.pathname === "/gate") {
      const result = await stub.check({ rules });
      return new Response(result.allowed ? "ok" : "refused", { status: result.allowed ? 200 : 429 });
    }
    if (url.pathname === "/burst") {
      const n = Number(url.searchParams.get("n"));
      const lanes = Number(url.searchParams.get("lanes"));
      let admitted = 0;
      await Promise.all(Array.from({ length: lanes }, async () => {
        for (let i = 0; i < n / lanes; i++) if ((await stub.check({ rules })).allowed) admitted++;
      }));
      return Response.json({ admitted });
    }
    return new Response("not found", { status: 404 });
  },
};
`;

const CONFIG = `
name = "bench-gatekeeper"
main = "entry.ts"
compatibility_date = "2026-11-01"
compatibility_flags = ["nodejs_compat"]

[vars]
ENVIRONMENT = "development"

[[durable_objects.bindings]]
name = "GATEKEEPER"
class_name = "Gatekeeper"

[[durable_objects.bindings]]
name = "ECHO"
class_name = "Echo"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["Gatekeeper", "Echo"]
`;

export default async function (): Promise<void> {
  // No traffic beyond loopback: miniflare would otherwise fetch the `Request.cf` object from
  // workers.cloudflare.com, and wrangler may send usage metrics.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  process.env.WRANGLER_SEND_METRICS = "false";
  const dir = mkdtempSync(join(tmpdir(), "islet-bench-gatekeeper-"));
  writeFileSync(join(dir, "entry.ts"), WORKER);
  writeFileSync(join(dir, "wrangler.toml"), CONFIG);
  const worker = await unstable_startWorker({
    config: join(dir, "wrangler.toml"),
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, watch: false, logLevel: "none" },
  });
  const deadline = setTimeout(() => {
    console.error("bench gatekeeper: deadline passed, stopping");
    void worker.dispose().finally(() => process.exit(1));
  }, DEADLINE_MS);
  try {
    await worker.ready;
    // The first request through the proxy waits for the runtime; later ones go straight to its
    // Miniflare instance, skipping wrangler's dev proxy (not part of what is measured).
    await (await worker.fetch("http://bench.local/none")).arrayBuffer();
    const mf = worker.raw.runtimes.map((r) => r.mf).find((m) => m !== undefined);
    if (!mf) throw new Error("bench: the local runtime did not start");
    const get = async (path: string, expect = 200): Promise<string> => {
      const res = await mf.dispatchFetch(`http://bench.local${path}`);
      const body = await res.text();
      if (res.status !== expect) throw new Error(`bench: ${path}: ${res.status} ${body.slice(0, 200)}`);
      return body;
    };
    let run = 0;
    /** Decisions per second on one fresh object; every decision must be admitted. */
    const burst = async (ns: "echo" | "gate", lanes: number): Promise<number> => {
      const p = `bench-${ns}-${lanes}-${run++}`;
      await get(`/burst?ns=${ns}&p=${p}&n=${LANES * 25}&lanes=${lanes}`); // warm: object created, code hot
      const start = performance.now();
      const body = JSON.parse(await get(`/burst?ns=${ns}&p=${p}&n=${DECISIONS}&lanes=${lanes}`)) as {
        admitted: number;
      };
      const seconds = (performance.now() - start) / 1000;
      if (body.admitted !== DECISIONS)
        throw new Error(`bench: ${ns} admitted ${body.admitted} of ${DECISIONS}`);
      return DECISIONS / seconds;
    };

    // Rounds interleave the four configurations so a noisy neighbour hits all alike; the
    // median round is reported.
    const rounds: Record<"echoSeq" | "gateSeq" | "echoPar" | "gatePar" | "pure", number[]> = {
      echoSeq: [],
      gateSeq: [],
      echoPar: [],
      gatePar: [],
      pure: [],
    };
    const rules = planRules("enterprise");
    for (let round = 0; round < ROUNDS; round++) {
      rounds.echoSeq.push(await burst("echo", 1));
      rounds.gateSeq.push(await burst("gate", 1));
      rounds.echoPar.push(await burst("echo", LANES));
      rounds.gatePar.push(await burst("gate", LANES));
      const pure = new PrincipalGate();
      const clock = Date.now();
      const start = performance.now();
      for (let i = 0; i < PURE_DECISIONS; i++) pure.check({ rules }, clock + i);
      rounds.pure.push(PURE_DECISIONS / ((performance.now() - start) / 1000));
    }
    const [echoSeq, gateSeq, echoPar, gatePar, pureRate] = [
      median(rounds.echoSeq),
      median(rounds.gateSeq),
      median(rounds.echoPar),
      median(rounds.gatePar),
      median(rounds.pure),
    ];

    // Latency: alternate the two routes so drift and GC hit both alike.
    const none: number[] = [];
    const gated: number[] = [];
    const sample = async (path: string, into: number[]) => {
      const start = performance.now();
      await get(path);
      into.push(performance.now() - start);
    };
    for (let i = 0; i < 100; i++) await sample(`/gate?p=latency-warm`, []);
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      await sample("/none", none);
      await sample("/gate?p=latency", gated);
    }

    printTable(
      ["measurement", "value", "vs baseline"],
      [
        ["decisions/s, one object, sequential (empty DO method)", fmt(echoSeq), "1.00× (baseline)"],
        ["decisions/s, one object, sequential (Gatekeeper)", fmt(gateSeq), `${fmt(gateSeq / echoSeq)}×`],
        [`decisions/s, one object, ${LANES}-way (empty DO method)`, fmt(echoPar), "1.00× (baseline)"],
        [`decisions/s, one object, ${LANES}-way (Gatekeeper)`, fmt(gatePar), `${fmt(gatePar / echoPar)}×`],
        ["decisions/s, pure algorithm in Node (no RPC)", fmt(pureRate), `${fmt(pureRate / gatePar)}× the DO`],
        ["request median ms, no limiter", fmt(median(none), 3), "1.00× (baseline)"],
        ["request median ms, one gate() hop", fmt(median(gated), 3), `${fmt(median(gated) / median(none))}×`],
        ["request p99 ms, no limiter", fmt(percentile(none, 99), 3), "1.00× (baseline)"],
        [
          "request p99 ms, one gate() hop",
          fmt(percentile(gated, 99), 3),
          `${fmt(percentile(gated, 99) / percentile(none, 99))}×`,
        ],
        ["added latency ms, median", fmt(median(gated) - median(none), 3), ""],
        ["added latency ms, p99", fmt(percentile(gated, 99) - percentile(none, 99), 3), ""],
        ["enterprise sustained need (50,000/min)", "833/s", `${fmt(gatePar / 833)}× headroom (${LANES}-way)`],
      ],
    );
    console.log(
      `\nThroughput: median of ${ROUNDS} interleaved rounds of ${DECISIONS} decisions (pure: ${PURE_DECISIONS}); latency: ${LATENCY_SAMPLES} alternating samples per row; workerd under wrangler (local SQLite storage), one machine.`,
    );
  } finally {
    clearTimeout(deadline);
    await worker.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
