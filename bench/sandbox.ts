// `npm run bench -- sandbox`: the QuickJS sandbox under Node (same code as the Worker's
// src/sandbox/core.ts, with the Node build of the same .wasm). Baseline: the same expression as a
// plain JavaScript function in Node, measured in the same run.
import baseVariant from "@jitl/quickjs-wasmfile-release-sync";
import { newQuickJSWASMModuleFromVariant } from "quickjs-emscripten-core";
import { createSandbox } from "../src/sandbox/core";
import { fmt, median, printTable, time } from "./table";

export default async function bench(): Promise<void> {
  const sandbox = createSandbox(() => newQuickJSWASMModuleFromVariant(baseVariant));
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
  const code = "function main(args) { return args.items.reduce((s, i) => s + i.price * i.qty, 0); }";
  const args = { items: Array.from({ length: 100 }, (_, i) => ({ price: i, qty: 2 })) };
  for (let i = 0; i < 200; i++) invoke.push(await time(() => sandbox.runFunction({ code, args })));

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
}
