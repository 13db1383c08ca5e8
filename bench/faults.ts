// `npm run bench -- faults`: how the real Worker (wrangler's local runtime) answers when its
// tenant database stops answering. devdb for tenants runs in a process of its own and is paused
// with SIGSTOP (the control database stays up), as in e2e/paused-database.test.ts. Measured: a
// row insert's answer time with the database up (the baseline, same run) and paused (503 at the
// deadline), at the default 5 s statement deadline and at 1 s.
// Sizes: BENCH_FAULT_REQUESTS (default 20 per case).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnDevdb, startLocalPlatform } from "../scripts/local-stack";
import { seedOwner, startWorker } from "./_stack";
import { fmt, median, percentile, printTable } from "./table";

const REQUESTS = Number(process.env.BENCH_FAULT_REQUESTS ?? 20);

export default async function bench(): Promise<void> {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  const dir = mkdtempSync(join(tmpdir(), "islet-bench-faults-"));
  const platform = await startLocalPlatform({ dir, environment: "development" });
  const devdb = await spawnDevdb({
    dir: join(dir, "tenants"),
    jwtPublicKey: platform.secrets.DEVDB_JWT_PUBLIC_KEY,
    adminToken: platform.secrets.DEVDB_ADMIN_TOKEN,
  });
  const rows: (string | number)[][] = [];
  try {
    let baseline = Number.NaN;
    for (const statementMs of [5_000, 1_000]) {
      const vars = {
        ...platform.vars,
        DEVDB_URL: devdb.url,
        DEVDB_ADMIN_URL: devdb.adminUrl,
        DB_STATEMENT_TIMEOUT_MS: String(statementMs),
      };
      const worker = await startWorker(vars);
      try {
        const owner = await seedOwner(vars);
        const base = `/v1/workspaces/${owner.workspace.id}/tables`;
        await worker.call(base, {
          method: "POST",
          token: owner.token,
          body: { name: "events", columns: [{ name: "n", type: "integer" }] },
        });
        let n = 0;
        const insert = async (): Promise<{ ms: number; status: number }> => {
          const started = performance.now();
          const res = await worker.call(`${base}/events/rows`, {
            method: "POST",
            token: owner.token,
            body: { n: n++ },
          });
          await res.arrayBuffer();
          return { ms: performance.now() - started, status: res.status };
        };
        const measure = async (label: string, paused: boolean) => {
          const samples: number[] = [];
          const statuses = new Set<number>();
          if (paused) devdb.pause();
          try {
            // Concurrently, as clients arrive: each must get its own answer at its own deadline.
            const answers = await Promise.all(Array.from({ length: REQUESTS }, insert));
            for (const a of answers) {
              samples.push(a.ms);
              statuses.add(a.status);
            }
          } finally {
            if (paused) devdb.resume();
          }
          const med = median(samples);
          if (Number.isNaN(baseline)) baseline = med;
          rows.push([
            label,
            `${fmt(statementMs / 1000, 0)} s`,
            REQUESTS,
            [...statuses].sort().join(", "),
            fmt(med, 0),
            fmt(percentile(samples, 100), 0),
            `${fmt(med / baseline, 0)}×`,
          ]);
        };
        await insert(); // warm: the first request loads the module graph
        if (statementMs === 5_000) await measure("row insert, database up", false);
        await measure("row insert, database paused (SIGSTOP)", true);
        // Let the abandoned streams expire before the next case (sqld's 10 s idle timeout).
        await new Promise((resolve) => setTimeout(resolve, 11_000));
      } finally {
        await worker.dispose();
      }
    }
  } finally {
    devdb.resume();
    await devdb.stop();
    await platform.devdb.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(
    ["case", "statement deadline", "requests", "statuses", "median ms", "max ms", "vs database up"],
    rows,
  );
  console.log(
    "\nIdempotency-key overhead (issue 19) is not measured yet: keys beyond workspace creation are not built.",
  );
}
