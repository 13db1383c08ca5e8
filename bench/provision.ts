// `npm run bench -- provision`: provisions 200 workspaces against the local devdb (sequential and
// 8-way concurrent) through the same provisionWorkspace the Worker runs, and reports per-workspace
// median/p95 and tenants per minute. Baseline: creating the bare namespace through the admin API
// (what provisioning cannot avoid), so the ratio shows islet's own overhead (token, migrations,
// encryption, control rows).

import type { Config } from "../src/config";
import { parseConfig } from "../src/config";
import type { WorkspaceRow } from "../src/db/control/schema";
import { dbTokenBinding } from "../src/db/tenant/client";
import { decryptSecret, importKeyring } from "../src/lib/crypto";
import { newId } from "../src/lib/ids";
import { setLogSink } from "../src/lib/logger";
import { provisionWorkspace } from "../src/services/workspaces/provision";
import { benchContext, seedOwner, startStack, startWorker } from "./_stack";
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
    const ctx = benchContext(parsed.config);
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
    await chain(stack.vars);
  } finally {
    await stack.stop();
  }
}

/**
 * One GET reading one row from a tenant database: through the full middleware chain (request id,
 * logging, config, headers, CORS, body limit, CSRF, authentication, workspace load, Gatekeeper,
 * authorization, tenantDb) vs a bare Hono handler doing the same read. Interleaved, in workerd.
 */
async function chain(vars: Record<string, string>): Promise<void> {
  const owner = await seedOwner(vars);
  const token = await tenantToken(owner.config, owner.workspace);
  const worker = await startWorker(
    { ...vars, BENCH_DB_URL: owner.workspace.dbUrl ?? "", BENCH_DB_TOKEN: token },
    "bench/_chain-worker.ts",
  );
  try {
    const fullPath = `/v1/workspaces/${owner.workspace.id}/bench-row`;
    const full: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < 1100; i++) {
      const a = await time(async () => expectOk(await worker.call(fullPath, { token: owner.token })));
      const b = await time(async () => expectOk(await worker.call("/bare-row")));
      if (i >= 100) {
        full.push(a);
        bare.push(b);
      }
    }
    console.log("");
    printTable(
      ["GET one tenant row (workerd, n=1000)", "median ms", "p95 ms", "ratio (median)"],
      [
        ["bare Hono handler (baseline)", fmt(median(bare)), fmt(percentile(bare, 95)), "1.00×"],
        [
          "full middleware chain",
          fmt(median(full)),
          fmt(percentile(full, 95)),
          `${fmt(median(full) / median(bare))}×`,
        ],
      ],
    );
  } finally {
    await worker.dispose();
  }
}

async function expectOk(res: Response): Promise<void> {
  const body = await res.text();
  if (res.status !== 200) throw new Error(`bench: expected 200, got ${res.status}: ${body.slice(0, 200)}`);
}

async function tenantToken(config: Config, ws: WorkspaceRow): Promise<string> {
  const keyring = await importKeyring(config.ISLET_KEYRING);
  return decryptSecret(keyring, ws.dbTokenEnc ?? "", dbTokenBinding(ws.id));
}
