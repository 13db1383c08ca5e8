// `npm run bench -- faults`: how the real Worker (wrangler's local runtime) answers when its
// tenant database stops answering. devdb for tenants runs in a process of its own and is paused
// with SIGSTOP (the control database stays up), as in e2e/paused-database.test.ts. Measured: a
// row insert's answer time with the database up (the baseline, same run) and paused (503 at the
// deadline), at the default 5 s statement deadline and at 1 s. Then, with the database up, the
// cost of an Idempotency-Key on a row insert: plain and keyed inserts interleaved (so drift hits
// both alike), and replays of one key, each as a ratio to the plain insert of the same run.
// Then webhook events delivered after injected failures, and the sweep re-sending deliveries left
// pending (bench/_webhooks.ts).
// Sizes: BENCH_FAULT_REQUESTS (default 20 per case), BENCH_IDEMPOTENCY_REQUESTS (default 300).
// Last, realtime resume: events a dropped client missed and got back (./_realtime-resume.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnDevdb, startLocalPlatform } from "../scripts/local-stack";
import { realtimeResume } from "./_realtime-resume";
import { seedOwner, startWorker } from "./_stack";
import { webhookFaults } from "./_webhooks";
import { fmt, median, percentile, printTable } from "./table";

const REQUESTS = Number(process.env.BENCH_FAULT_REQUESTS ?? 20);
const KEYED = Number(process.env.BENCH_IDEMPOTENCY_REQUESTS ?? 300);

type Insert = (headers?: Record<string, string>) => Promise<{ ms: number; status: number }>;

/** Sequential inserts: plain, keyed (a fresh key each) and replayed (one key), interleaved. */
async function keyOverhead(insert: Insert): Promise<(string | number)[][]> {
  const samples = { plain: [] as number[], keyed: [] as number[], replayed: [] as number[] };
  const statuses = { plain: new Set<number>(), keyed: new Set<number>(), replayed: new Set<number>() };
  const replayKey = { "Idempotency-Key": `bench-replay-${Date.now()}` };
  await insert(replayKey);
  for (let i = 0; i < KEYED; i++) {
    for (const kind of ["plain", "keyed", "replayed"] as const) {
      const headers =
        kind === "plain"
          ? undefined
          : kind === "replayed"
            ? replayKey
            : { "Idempotency-Key": `bench-${i}-${Date.now()}` };
      const { ms, status } = await insert(headers);
      samples[kind].push(ms);
      statuses[kind].add(status);
    }
  }
  const base = median(samples.plain);
  return (["plain", "keyed", "replayed"] as const).map((kind) => [
    { plain: "row insert", keyed: "row insert, new Idempotency-Key", replayed: "repeat of one key (replay)" }[
      kind
    ],
    KEYED,
    [...statuses[kind]].sort().join(", "),
    fmt(median(samples[kind]), 1),
    fmt(percentile(samples[kind], 95), 1),
    `${fmt(median(samples[kind]) / base, 2)}×`,
  ]);
}

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
  let keyed: (string | number)[][] = [];
  let resume: (string | number)[][] = [];
  let webhooks: (string | number)[][] = [];
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
        const insert: Insert = async (headers) => {
          const started = performance.now();
          const res = await worker.call(`${base}/events/rows`, {
            method: "POST",
            token: owner.token,
            // A replay repeats its body too; fresh inserts each write a new value.
            body: { n: headers?.["Idempotency-Key"]?.startsWith("bench-replay") ? -1 : n++ },
            ...(headers ? { headers } : {}),
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
            const answers = await Promise.all(Array.from({ length: REQUESTS }, () => insert()));
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
        if (statementMs === 5_000) {
          await measure("row insert, database up", false);
          keyed = await keyOverhead(insert);
          resume = await realtimeResume(worker, owner);
        }
        await measure("row insert, database paused (SIGSTOP)", true);
        // Let the abandoned streams expire before the next case (sqld's 10 s idle timeout).
        await new Promise((resolve) => setTimeout(resolve, 11_000));
      } finally {
        await worker.dispose();
      }
    }
    webhooks = await webhookFaults(platform.vars);
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
  console.log("");
  printTable(
    ["idempotency (database up)", "requests", "statuses", "median ms", "p95 ms", "vs row insert"],
    keyed,
  );
  console.log("");
  printTable(
    [
      "realtime: a client away while writes go on",
      "written away",
      "recovered",
      "lost",
      "duplicated",
      "resume ms",
    ],
    resume,
  );
  console.log("");
  printTable(
    ["webhooks (at least once)", "events", "delivered", "lost", "duplicated", "attempts", "seconds"],
    webhooks,
  );
}
