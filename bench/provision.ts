// `npm run bench -- provision`: provisions 200 workspaces against the local devdb (sequential and
// 8-way concurrent) through the same provisionWorkspace the Worker runs, and reports per-workspace
// median/p95 and tenants per minute. Baseline: creating the bare namespace through the admin API
// (what provisioning cannot avoid), so the ratio shows islet's own overhead (token, migrations,
// encryption, control rows).
import { parseConfig } from "../src/env";
import { newId } from "../src/lib/ids";
import { createLogger, setLogSink } from "../src/lib/logger";
import { provisionWorkspace } from "../src/services/workspaces/provision";
import type { ServiceContext } from "../src/types";
import { startStack } from "./_stack";
import { fmt, median, percentile, printTable, time } from "./table";

const COUNT = Number(process.env.BENCH_PROVISION_COUNT ?? 200);

async function runAll(n: number, concurrency: number, one: (i: number) => Promise<void>) {
  const samples: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        samples.push(await time(() => one(i)));
      }
    }),
  );
  return { samples, totalMs: performance.now() - started };
}

export default async function bench(): Promise<void> {
  const stack = await startStack();
  try {
    const parsed = parseConfig(stack.vars);
    if (!parsed.ok) throw new Error(parsed.problems.join("; "));
    const ctx: ServiceContext = {
      env: {},
      config: parsed.config,
      actor: { type: "system", reason: "bench" },
      requestId: "bench",
      ip: null,
      userAgent: null,
      logger: createLogger({}),
      waitUntil: () => {},
    };
    setLogSink(() => {}); // provisioning logs one line per workspace; keep the table readable
    const provision = async () => {
      await provisionWorkspace({
        ctx,
        input: { name: "bench", slug: `b-${newId("s").slice(-14)}`, region: "eu-west" },
      });
    };
    const bare = async () => {
      const res = await fetch(`${stack.vars.DEVDB_ADMIN_URL}/v1/namespaces/${newId("n").slice(-20)}/create`, {
        method: "POST",
        headers: { Authorization: `Bearer ${stack.vars.DEVDB_ADMIN_TOKEN}` },
        body: "{}",
      });
      await res.arrayBuffer();
    };
    const rows: (string | number)[][] = [];
    for (const [label, concurrency] of [
      ["sequential", 1],
      ["8-way concurrent", 8],
    ] as const) {
      const baseline = await runAll(COUNT, concurrency, bare);
      const run = await runAll(COUNT, concurrency, provision);
      rows.push([
        `provisionWorkspace, ${label}`,
        COUNT,
        fmt(median(run.samples)),
        fmt(percentile(run.samples, 95)),
        fmt((COUNT / run.totalMs) * 60_000, 0),
        fmt(median(baseline.samples)),
        `${fmt(median(run.samples) / median(baseline.samples), 1)}×`,
      ]);
    }
    printTable(
      ["operation", "n", "median ms", "p95 ms", "tenants/min", "bare namespace median ms", "ratio"],
      rows,
    );
  } finally {
    await stack.stop();
  }
}
