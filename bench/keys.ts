import { setLogSink } from "../src/lib/logger";
import { seedOwner, startStack, startWorker } from "./_stack";
import { fmt, median, percentile, printTable, time } from "./table";

const N = Number(process.env.BENCH_KEYS_N ?? 1000);
const WARMUP = 100;
const REVOCATIONS = Number(process.env.BENCH_KEYS_REVOCATIONS ?? 30);
/** Anonymous baseline requests rotate over these addresses so no per-IP limit is reached. */
const BASELINE_IPS = Array.from(
  { length: Math.ceil((N + WARMUP) / 50) },
  (_, i) => `198.51.100.${(i % 250) + 1}`,
);

async function timed(one: () => Promise<Response>, expected: number, what: string): Promise<number> {
  let status = 0;
  const ms = await time(async () => {
    const res = await one();
    status = res.status;
    await res.arrayBuffer();
  });
  if (status !== expected) throw new Error(`bench: ${what}: expected ${expected}, got ${status}`);
  return ms;
}

interface Series {
  label: string;
  request: (i: number) => Promise<Response>;
  expected: number;
}

/** Runs the series round-robin, one request each per round, so warm-up and drift hit all alike. */
async function interleaved(series: Series[], rounds: number, offset = 0): Promise<number[][]> {
  const samples = series.map(() => [] as number[]);
  for (let i = 0; i < rounds; i++) {
    for (const [index, s] of series.entries()) {
      samples[index]?.push(await timed(() => s.request(offset + i), s.expected, s.label));
    }
  }
  return samples;
}

export default async function bench(): Promise<void> {
  // No traffic beyond loopback: miniflare would otherwise fetch the `Request.cf` object from
  // workers.cloudflare.com, and wrangler may send usage metrics.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  process.env.WRANGLER_SEND_METRICS = "false";
  const stack = await startStack();
  setLogSink(() => {});
  // A user with a session, and a workspace on the top plan so plan limits never interfere.
  const owner = await seedOwner(stack.vars, "enterprise");
  const worker = await startWorker(stack.vars);
  const { call } = worker;
  const ws = owner.workspace;
  const userToken = owner.token;
  try {
    const mint = async () => {
      const res = await call(`/v1/workspaces/${ws.id}/keys`, {
        method: "POST",
        token: userToken,
        body: { name: "bench", scopes: ["data:read"] },
      });
      if (res.status !== 201) throw new Error(`bench: key creation failed with ${res.status}`);
      return (await res.json()) as { token: string; key: { id: string } };
    };
    const key = await mint();
    const unknownPath = "/v1/bench-unknown-path";
    const wsPath = `/v1/workspaces/${ws.id}`;

    const series: Series[] = [
      {
        label: `no credential, ${unknownPath} → 404 (baseline)`,
        request: (i) => call(unknownPath, { ip: BASELINE_IPS[i % BASELINE_IPS.length] }),
        expected: 404,
      },
      {
        label: `API key, ${unknownPath} → 404`,
        request: () => call(unknownPath, { token: key.token }),
        expected: 404,
      },
      {
        label: "API key, GET /v1/workspaces/:id → 200",
        request: () => call(wsPath, { token: key.token }),
        expected: 200,
      },
      // Outside a workspace a user is on the free plan's 100/min, so the session row uses the route.
      {
        label: "session JWT, GET /v1/workspaces/:id → 200",
        request: () => call(wsPath, { token: userToken }),
        expected: 200,
      },
    ];
    await interleaved(series, WARMUP);
    const measured = await interleaved(series, N, WARMUP);
    const baseline = measured[0] ?? [];

    // Revocation: the next request after DELETE returns must already be refused.
    const revokeMs: number[] = [];
    const refusedMs: number[] = [];
    let admittedAfterRevoke = 0;
    for (let i = 0; i < REVOCATIONS; i++) {
      const victim = await mint();
      await timed(() => call(wsPath, { token: victim.token }), 200, "victim before revoke");
      revokeMs.push(
        await time(async () => {
          const res = await call(`${wsPath}/keys/${victim.key.id}`, { method: "DELETE", token: userToken });
          if (res.status !== 200) throw new Error(`bench: revoke failed with ${res.status}`);
          await res.arrayBuffer();
        }),
      );
      let status = 0;
      refusedMs.push(
        await time(async () => {
          const res = await call(wsPath, { token: victim.token });
          status = res.status;
          await res.arrayBuffer();
        }),
      );
      if (status !== 401) admittedAfterRevoke++;
    }

    const base = median(baseline);
    const row = (label: string, samples: number[], n = samples.length) => [
      label,
      n,
      fmt(median(samples)),
      fmt(percentile(samples, 99)),
      `${fmt(median(samples) / base, 2)}×`,
      `${fmt(percentile(samples, 99) / percentile(baseline, 99), 2)}×`,
    ];
    printTable(
      ["request", "n", "median ms", "p99 ms", "median ratio", "p99 ratio"],
      [
        ...series.map((s, i) => row(s.label, measured[i] ?? [])),
        row("DELETE key (revoke) → 200", revokeMs),
        row("first request after revoke → 401", refusedMs),
      ],
    );
    console.log(
      `\nKey verification overhead (median): ${fmt(median(measured[1] ?? []) - base)} ms per request. ` +
        `Requests admitted after revoke returned: ${admittedAfterRevoke}/${REVOCATIONS}.`,
    );
  } finally {
    await worker.dispose();
    await stack.stop();
  }
}
