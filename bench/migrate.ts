// `npm run bench -- migrate`: the operator's fleet work against a local devdb, through the same
// services the CLI runs. A tenant migration fanned out to every tenant (with its backup point,
// as `tenants migrate` does) at concurrency 1, 8 and 32 (baseline: concurrency 1, same run);
// a rerun with nothing pending; `tenants scan`; then provisioning up to the fleet size, with the
// process's memory and devdb's file count at the end (devdb runs in this process).
// Sizes: BENCH_MIGRATE_TENANTS (default 1,000), BENCH_FLEET_TENANTS (default 10,000).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { loadConfig, operatorContext } from "../cli/context";
import { newId } from "../src/lib/ids";
import { setLogSink } from "../src/lib/logger";
import { mapPool } from "../src/lib/pool";
import type { ServiceContext } from "../src/services/core/context";
import { fanOutMigrations, scanTenants } from "../src/services/operator";
import { provisionWorkspace } from "../src/services/workspaces/provision";
import { startStack } from "./_stack";
import { fmt, printTable } from "./table";

const TENANTS = Number(process.env.BENCH_MIGRATE_TENANTS ?? 1_000);
const FLEET = Number(process.env.BENCH_FLEET_TENANTS ?? 10_000);

function files(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce(
    (n, e) => n + (e.isDirectory() ? files(join(dir, e.name)) : 1),
    0,
  );
}

/** Refusals met while provisioning (each leaves nothing behind), with the first cause seen. */
const refused = { count: 0, first: "" };

async function provision(ctx: ServiceContext, count: number): Promise<number> {
  const started = performance.now();
  await mapPool(
    Array.from({ length: count }, (_, i) => i),
    8,
    async (i) => {
      // A refusal under load (a deadline, a busy lock) is counted and retried once, never fatal:
      // what is measured is how the fleet grows, refusals included.
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          return await provisionWorkspace({
            ctx,
            input: { name: `fleet ${i}`, slug: `f-${newId("s").slice(-14)}`, region: "us-east" },
          });
        } catch (error) {
          refused.count++;
          refused.first ||= error instanceof Error ? error.message : String(error);
        }
      }
      return undefined;
    },
  );
  return performance.now() - started;
}

export default async function bench(): Promise<void> {
  // Quiet, except for why a provisioning was refused (the first such line is kept).
  setLogSink((line) => {
    if (!refused.first && line.includes('"level":"error"')) refused.first = line.slice(0, 300);
  });
  const stack = await startStack();
  try {
    const ctx = operatorContext(loadConfig(stack.vars), "bench");
    const provisionMs = await provision(ctx, TENANTS);

    const rows: (string | number)[][] = [];
    let baseline = 0;
    for (const concurrency of [1, 8, 32]) {
      const migration = {
        name: `9900_bench_c${concurrency}`,
        sql: `CREATE TABLE bench_c${concurrency} (x INTEGER);`,
      };
      const started = performance.now();
      const results = await fanOutMigrations({ ctx, input: { migrations: [migration], concurrency } });
      const ms = performance.now() - started;
      const failed = results.filter((r) => r.status === "failed").length;
      if (failed > 0) throw new Error(`${failed} tenants failed at concurrency ${concurrency}`);
      const perSecond = (TENANTS / ms) * 1000;
      if (concurrency === 1) baseline = perSecond;
      rows.push([
        `tenants migrate (backup + 1 migration), concurrency ${concurrency}`,
        TENANTS,
        fmt(ms / 1000, 1),
        fmt(perSecond, 0),
        `${fmt(perSecond / baseline, 1)}×`,
      ]);
    }
    {
      const started = performance.now();
      await fanOutMigrations({ ctx, input: { migrations: [], concurrency: 8 } });
      const ms = performance.now() - started;
      rows.push([
        "tenants migrate, nothing pending, concurrency 8",
        TENANTS,
        fmt(ms / 1000, 1),
        fmt((TENANTS / ms) * 1000, 0),
        `${fmt(((TENANTS / ms) * 1000) / baseline, 1)}×`,
      ]);
    }
    {
      const started = performance.now();
      const scans = await scanTenants({ ctx, input: { concurrency: 8 } });
      const ms = performance.now() - started;
      // The bench migrations are not this release's: every tenant reports them, as scan should.
      rows.push([
        `tenants scan, concurrency 8 (${scans.length} scanned)`,
        TENANTS,
        fmt(ms / 1000, 1),
        fmt((TENANTS / ms) * 1000, 0),
        `${fmt(((TENANTS / ms) * 1000) / baseline, 1)}×`,
      ]);
    }
    printTable(["operation", "tenants", "seconds", "tenants/s", "vs concurrency 1"], rows);

    const more = Math.max(0, FLEET - TENANTS);
    const fleetMs = provisionMs + (await provision(ctx, more));
    const rss = process.memoryUsage().rss / 2 ** 20;
    console.log();
    printTable(
      [
        "fleet",
        "tenants",
        "provisioning s",
        "tenants/s",
        "process RSS MiB (devdb in-process)",
        "devdb files",
        "refusals (retried)",
      ],
      [
        [
          `provisionWorkspace, 8 at a time`,
          FLEET,
          fmt(fleetMs / 1000, 0),
          fmt((FLEET / fleetMs) * 1000, 0),
          fmt(rss, 0),
          files(stack.dir),
          refused.count,
        ],
      ],
    );
    if (refused.first) console.log(`\nfirst refusal: ${refused.first}`);
  } finally {
    await stack.stop();
  }
}
