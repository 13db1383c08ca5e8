// `npm run bench -- pages`: the dashboard's pages as the real Worker serves them (wrangler's
// local runtime on loopback, signed in with a session cookie), median and p95 per page against
// GET /health measured in the same run; and what the security-headers middleware costs per page,
// in process: the same rendered page served with and without it, rounds interleaved.
import { Hono } from "hono";
import { secureHeaders } from "../src/middleware/secure-headers";
import { seedOwner, startStack } from "./_stack";
import { fmt, median, percentile, printTable } from "./table";

// Signed-out pages count against the free plan's 100 requests a minute per IP, account pages
// against the session routes' 120 per IP (the bench is one loopback client): the rounds stay under.
const SAMPLES = 20;
const HEADER_ROUNDS = 15;
const HEADER_PER_ROUND = 2000;

export default async function pages(): Promise<void> {
  const stack = await startStack({ worker: true });
  try {
    const owner = await seedOwner(stack.vars);
    // A second person for the account-level pages (their own per-user window).
    const visitor = await seedOwner(stack.vars);
    const base = stack.workerUrl ?? "";
    const cookie = `__Host-islet_access=${owner.token}`;
    const visitorCookie = `__Host-islet_access=${visitor.token}`;
    const ws = `/app/w/${owner.workspace.id}`;
    // Something on the pages: a table with rows, a key, a function.
    const api = (path: string, body: unknown) =>
      fetch(`${base}/v1/workspaces/${owner.workspace.id}${path}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${owner.token}`, "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
    await api("/tables", {
      name: "orders",
      columns: [
        { name: "item", type: "text" },
        { name: "price", type: "real" },
        { name: "qty", type: "integer" },
        { name: "total", type: "formula", formula: "row.price * row.qty" },
      ],
    });
    await api("/tables/orders/rows", {
      rows: Array.from({ length: 50 }, (_, i) => ({ item: `item ${i}`, price: i + 0.5, qty: i % 7 })),
    });
    await api("/keys", { name: "bench", scopes: ["data:read"] });
    await api("/functions", { name: "greet", code: "function main(a) { return a; }" });

    const targets: [string, string, string | undefined][] = [
      ["GET /health (baseline)", "/health", undefined],
      ["sign in", "/login", undefined],
      ["workspaces", "/app", visitorCookie],
      ["tables", ws, cookie],
      ["rows (50)", `${ws}/tables/orders`, cookie],
      ["API keys", `${ws}/keys`, cookie],
      ["functions", `${ws}/functions`, cookie],
      ["members", `${ws}/members`, cookie],
      ["audit log", `${ws}/audit`, cookie],
      ["usage", `${ws}/usage`, cookie],
      ["account", "/app/account", visitorCookie],
    ];
    const samples = new Map<string, number[]>(targets.map(([name]) => [name, []]));
    const html = new Map<string, string>();
    for (let i = 0; i < SAMPLES + 3; i++) {
      for (const [name, path, signedIn] of targets) {
        const start = performance.now();
        const res = await fetch(`${base}${path}`, {
          headers: signedIn ? { Cookie: cookie } : {},
          redirect: "manual",
        });
        const body = await res.text();
        const ms = performance.now() - start;
        if (res.status !== 200)
          throw new Error(
            `${path}: ${res.status} ${body
              .replace(/<[^>]+>/g, " ")
              .replace(/\s+/g, " ")
              .slice(0, 400)}`,
          );
        if (i >= 3) samples.get(name)?.push(ms); // the first rounds warm the isolate
        html.set(name, body);
      }
    }
    const baseline = median(samples.get(targets[0]?.[0] ?? "") ?? []);
    console.log("Dashboard pages through the real Worker (loopback, signed in):\n");
    printTable(
      ["page", "median ms", "p95 ms", "baseline", "baseline ms", "ratio"],
      targets.map(([name]) => {
        const s = samples.get(name) ?? [];
        return [
          name,
          fmt(median(s)),
          fmt(percentile(s, 95)),
          "GET /health",
          fmt(baseline),
          `${fmt(median(s) / baseline)}×`,
        ];
      }),
    );

    // The headers middleware alone, on each page's real HTML.
    const rows: string[][] = [];
    for (const [name] of targets.slice(1, 5)) {
      const page = html.get(name) ?? "";
      const bare = new Hono().get("/", (c) => c.html(page));
      const guarded = new Hono().use(secureHeaders).get("/", (c) => c.html(page));
      const with_: number[] = [];
      const without: number[] = [];
      for (let r = 0; r < HEADER_ROUNDS; r++) {
        without.push(await perRequest(bare));
        with_.push(await perRequest(guarded));
      }
      rows.push([
        name,
        fmt(median(with_)),
        "same page without the headers",
        fmt(median(without)),
        `${fmt(median(with_) / median(without))}×`,
        fmt(median(with_) - median(without)),
      ]);
    }
    console.log(
      "\nSecurity headers (CSP with a fresh nonce, isolation, HSTS…), in process, µs per request:\n",
    );
    printTable(["page", "with headers µs", "baseline", "baseline µs", "ratio", "added µs"], rows);
  } finally {
    await stack.stop();
  }
}

async function perRequest(app: { fetch: (r: Request) => Response | Promise<Response> }): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < HEADER_PER_ROUND; i++) {
    const res = await app.fetch(new Request("http://bench/"));
    await res.arrayBuffer();
  }
  return ((performance.now() - start) * 1000) / HEADER_PER_ROUND;
}
