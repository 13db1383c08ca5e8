// `npm run bench -- sandbox`, in two tables.
// 1. The QuickJS sandbox under Node (same code as the Worker's src/sandbox/sandbox.ts, with the Node
//    build of the same .wasm). Baseline: the same expression as a plain JavaScript function.
// 2. The data API end to end through the real Worker (workerd, devdb, Gatekeeper, audit): bulk
//    insert and list of 1,000 rows against raw `@libsql/client` doing the same on the same table,
//    a function invoke against the bare sandbox call, and recomputing a formula column over
//    10,000 rows (PATCH) against the bare sandbox evaluating it. Same run, same machine.
import baseVariant from "@jitl/quickjs-wasmfile-release-sync";
import { newQuickJSWASMModuleFromVariant, newVariant } from "quickjs-emscripten-core";
import { tenantDb } from "../src/db/tenant/client";
import { boundedWasmMemory } from "../src/sandbox/limits";
import { createSandbox } from "../src/sandbox/sandbox";
import { seedOwner, startStack, startWorker } from "./_stack";
import { fmt, median, printTable, time } from "./table";

const ROUNDS = 5;

export default async function bench(): Promise<void> {
  const bare = await sandboxAlone();
  await endToEnd(bare);
}

async function sandboxAlone(): Promise<{ invokeMs: number; recompute10kMs: number }> {
  const sandbox = createSandbox(() =>
    newQuickJSWASMModuleFromVariant(newVariant(baseVariant, { wasmMemory: boundedWasmMemory })),
  );
  const expression = "row.price * row.qty";
  const row = { price: 2.5, qty: 4 };
  const plain = (r: { price: number; qty: number }) => r.price * r.qty;

  const cold = await time(() => sandbox.evaluateFormula({ expression, row }));

  const fresh: number[] = [];
  for (let i = 0; i < 500; i++) fresh.push(await time(() => sandbox.evaluateFormula({ expression, row })));

  const rows = Array.from({ length: 10_000 }, (_, i) => ({ price: i, qty: 3 }));
  const batchRuns: number[] = [];
  for (let i = 0; i < 5; i++)
    batchRuns.push(await time(() => sandbox.evaluateFormulaBatch({ expression, rows })));
  const batchMs = median(batchRuns);

  const plainRuns: number[] = [];
  for (let i = 0; i < 5; i++) {
    plainRuns.push(
      await time(async () => {
        let sum = 0;
        for (const r of rows) sum += plain(r);
        if (sum < 0) throw new Error("unreachable");
      }),
    );
  }
  const plainMs = Math.max(median(plainRuns), 0.001);

  const invoke: number[] = [];
  const args = { items: Array.from({ length: 100 }, (_, i) => ({ price: i, qty: 2 })) };
  for (let i = 0; i < 200; i++)
    invoke.push(await time(() => sandbox.runFunction({ code: INVOKE_CODE, args })));

  const perRowUs = (batchMs * 1000) / rows.length;
  const plainPerRowUs = (plainMs * 1000) / rows.length;
  printTable(
    ["measurement (Node, QuickJS WASM)", "value", "vs plain JS"],
    [
      ["cold first eval (module instantiate + first call)", `${fmt(cold)} ms`, ""],
      ["formula, fresh runtime+context per call (median)", `${fmt(median(fresh) * 1000)} µs`, ""],
      ["formula, warm in a batch (per row)", `${fmt(perRowUs)} µs`, `${fmt(perRowUs / plainPerRowUs, 0)}×`],
      ["10,000-row formula recompute", `${fmt(batchMs)} ms`, `${fmt(batchMs / plainMs, 0)}×`],
      ["plain JS, 10,000 rows (baseline)", `${fmt(plainMs, 3)} ms`, "1×"],
      ["function invoke (100-item reduce, fresh context)", `${fmt(median(invoke))} ms`, ""],
    ],
  );
  return { invokeMs: median(invoke), recompute10kMs: batchMs };
}

const INVOKE_CODE = "function main(args) { return args.items.reduce((s, i) => s + i.price * i.qty, 0); }";

async function endToEnd(bare: { invokeMs: number; recompute10kMs: number }): Promise<void> {
  const stack = await startStack();
  const worker = await startWorker(stack.vars);
  try {
    const owner = await seedOwner(stack.vars, "enterprise");
    const base = `/v1/workspaces/${owner.workspace.id}`;
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await worker.call(`${base}${path}`, { method, token: owner.token, body });
      if (!res.ok) throw new Error(`bench: ${method} ${path} → ${res.status} ${await res.text()}`);
      return res.json() as Promise<Record<string, unknown>>;
    };
    const columns = [
      { name: "title", type: "text", notNull: true },
      { name: "price", type: "real" },
      { name: "qty", type: "integer" },
    ];
    await api("POST", "/tables", { name: "items", columns });
    const raw = await tenantDb(owner.config, owner.workspace);
    const batchOf = (n: number, round: number) =>
      Array.from({ length: n }, (_, i) => ({ title: `item ${round}-${i}`, price: i / 4, qty: i % 7 }));

    const insertApi: number[] = [];
    const insertRaw: number[] = [];
    const listApi: number[] = [];
    const listRaw: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const rows = batchOf(1000, round);
      insertApi.push(await time(() => api("POST", "/tables/items/rows", { rows })));
      insertRaw.push(
        await time(() => {
          const now = Date.now();
          return raw.batch(
            rows.map((r) => ({
              sql: 'INSERT INTO "items" ("created_at", "updated_at", "title", "price", "qty") VALUES (?, ?, ?, ?, ?) RETURNING *',
              args: [now, now, r.title, r.price, r.qty],
            })),
            "write",
          );
        }),
      );
      listApi.push(await time(() => api("GET", "/tables/items/rows?limit=1000&sort=id")));
      listRaw.push(await time(() => raw.execute('SELECT * FROM "items" ORDER BY "id" LIMIT 1001')));
    }

    await api("POST", "/functions", { name: "total", code: INVOKE_CODE, timeoutMs: 1000 });
    const args = { items: Array.from({ length: 100 }, (_, i) => ({ price: i, qty: 2 })) };
    const invoke: number[] = [];
    const inSandbox: number[] = [];
    const listFunctions: number[] = [];
    for (let i = 0; i < 50; i++) {
      invoke.push(
        await time(async () => {
          const out = await api("POST", "/functions/total/invoke", { args });
          inSandbox.push(Number(out.durationMs));
        }),
      );
      listFunctions.push(await time(() => api("GET", "/functions")));
    }

    // 10,000 rows in the table (10 rounds of 1,000 so far), then a formula column over all of them.
    const have = Number((await raw.execute('SELECT count(*) AS n FROM "items"')).rows[0]?.n);
    for (let round = 0; have + round * 1000 < 10_000; round++) {
      await api("POST", "/tables/items/rows", { rows: batchOf(1000, 100 + round) });
    }
    const recompute: number[] = [];
    for (let round = 0; round < 3; round++) {
      const formula = `row.price * row.qty + ${round}`;
      recompute.push(
        await time(() =>
          api(
            "PATCH",
            "/tables/items",
            round === 0
              ? { addColumns: [{ name: "total", type: "formula", formula }] }
              : { setFormulas: [{ name: "total", formula }] },
          ),
        ),
      );
    }
    raw.close();

    const ratio = (a: number, b: number) => `${fmt(a / b)}×`;
    printTable(
      ["data API through the Worker (median)", "ms", "baseline", "baseline ms", "ratio"],
      [
        [
          "bulk insert 1,000 rows",
          fmt(median(insertApi)),
          "raw client batch",
          fmt(median(insertRaw)),
          ratio(median(insertApi), median(insertRaw)),
        ],
        [
          "list 1,000 rows",
          fmt(median(listApi)),
          "raw client SELECT",
          fmt(median(listRaw)),
          ratio(median(listApi), median(listRaw)),
        ],
        ["GET /functions (a tenant read, for scale)", fmt(median(listFunctions)), "", "", ""],
        [
          "function invoke: time inside the sandbox in workerd",
          fmt(median(inSandbox)),
          "bare sandbox call (Node)",
          fmt(bare.invokeMs),
          ratio(median(inSandbox), bare.invokeMs),
        ],
        [
          "function invoke (100-item reduce)",
          fmt(median(invoke)),
          "bare sandbox call",
          fmt(bare.invokeMs),
          ratio(median(invoke), bare.invokeMs),
        ],
        [
          "formula recompute, 10,000 rows (PATCH)",
          fmt(median(recompute)),
          "bare sandbox batch",
          fmt(bare.recompute10kMs),
          ratio(median(recompute), bare.recompute10kMs),
        ],
      ],
    );
  } finally {
    await worker.dispose();
    await stack.stop();
  }
}
