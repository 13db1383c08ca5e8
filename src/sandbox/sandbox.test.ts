import baseVariant from "@jitl/quickjs-wasmfile-release-sync";
import wasmModule from "@jitl/quickjs-wasmfile-release-sync/wasm";
import { newQuickJSWASMModuleFromVariant, newVariant } from "quickjs-emscripten-core";
import { describe, expect, it, vi } from "vitest";
import { evaluateFormula, evaluateFormulaBatch, runFunction, type SandboxResult, validateFormula } from ".";
import { boundedWasmMemory, WASM_MEMORY_MAX_BYTES } from "./limits";

const fn = (body: string) => `function main(args, env) { ${body} }`;
const errorKind = (r: SandboxResult) => (r.ok ? "ok" : r.error.kind);
const healthy = async () => {
  const r = await runFunction({ code: fn("return args.a + args.b;"), args: { a: 2, b: 3 } });
  expect(r).toMatchObject({ ok: true, value: 5 });
};

describe("functions", () => {
  it("computes with JSON args and returns JSON", async () => {
    const r = await runFunction({
      code: fn(
        "return { total: args.items.reduce((s, i) => s + i.price * i.qty, 0), name: args.name.toUpperCase() };",
      ),
      args: {
        name: "ünïcode",
        items: [
          { price: 2.5, qty: 4 },
          { price: 1, qty: 1 },
        ],
      },
    });
    expect(r).toMatchObject({ ok: true, value: { total: 11, name: "ÜNÏCODE" } });
  });

  it("reads a frozen env and captures console output", async () => {
    const r = await runFunction({
      code: fn(`console.log("hello", { a: 1 }); env.API = "changed"; return env.API;`),
      args: null,
      env: { API: "secret-value" },
    });
    expect(r).toMatchObject({ ok: true, value: "secret-value", logs: ['hello {"a":1}'] });
  });

  it("bounds console output with a marker", async () => {
    const r = await runFunction({
      code: fn(`for (let i = 0; i < 10000; i++) console.log("x".repeat(100)); return 1;`),
      args: null,
    });
    expect(r.ok).toBe(true);
    expect(r.logs.at(-1)).toBe("[console output truncated]");
    expect(r.logs.join("").length).toBeLessThanOrEqual(8 * 1024 + 64);
  });

  it("awaits an async main", async () => {
    const r = await runFunction({
      code: "async function main(args) { await null; return args * 2; }",
      args: 21,
    });
    expect(r).toMatchObject({ ok: true, value: 42 });
  });

  it("maps undefined to null and refuses functions", async () => {
    expect(await runFunction({ code: fn("return undefined;"), args: null })).toMatchObject({
      ok: true,
      value: null,
    });
    expect(errorKind(await runFunction({ code: fn("return () => 1;"), args: null }))).toBe("invalid_result");
    expect(errorKind(await runFunction({ code: fn("return 10n;"), args: null }))).toBe("invalid_result");
  });

  it("reports syntax errors, runtime errors and a missing main clearly", async () => {
    expect(errorKind(await runFunction({ code: "function main( {", args: null }))).toBe("syntax");
    const thrown = await runFunction({ code: fn("throw new RangeError('bad input');"), args: null });
    expect(thrown).toMatchObject({ ok: false, error: { kind: "runtime", message: "RangeError: bad input" } });
    const missing = await runFunction({ code: "const x = 1;", args: null });
    expect(missing).toMatchObject({ ok: false, error: { kind: "runtime" } });
    expect(missing.ok ? "" : missing.error.message).toMatch(/must define function main/);
  });
});

describe("escapes end with a clear error and the next call still works", () => {
  it.each([
    ["constructor.constructor", "return this.constructor.constructor('return globalThis')();", "runtime"],
    ["Function", "return Function('return this')();", "runtime"],
    ["eval", "return eval('1 + 1');", "runtime"],
    [
      "generator constructor",
      "return Object.getPrototypeOf(function*(){}).constructor('yield 1')().next();",
      "runtime",
    ],
    ["async constructor", "return (async function(){}).constructor('return 1');", "runtime"],
    ["import()", "return import('node:fs');", "runtime"],
    ["clock", "return Date.now();", "runtime"],
    ["clock via new Date()", "return new Date().getTime();", "runtime"],
    ["infinite loop", "while (true) {}", "timeout"],
    ["unbounded recursion", "const f = (n) => f(n + 1) + 1; return f(0);", "runtime"],
    ["huge array", "return new Array(1e9).fill(0).length;", "memory"],
    ["string doubling", "let s = 'x'; while (true) s += s; ", "memory"],
    ["huge output", "return 'y'.repeat(1024 * 1024);", "output_too_large"],
  ])("%s", async (_name, body, kind) => {
    const r = await runFunction({ code: fn(body), args: null });
    expect(errorKind(r)).toBe(kind);
    await healthy();
  });

  it("runs in a WebAssembly memory that cannot grow past its bound", async () => {
    const vm = await newQuickJSWASMModuleFromVariant(
      newVariant(baseVariant, {
        wasmModule: wasmModule as WebAssembly.Module,
        wasmMemory: boundedWasmMemory,
      }),
    );
    const memory = vm.getWasmMemory();
    expect(memory.buffer.byteLength).toBeLessThanOrEqual(WASM_MEMORY_MAX_BYTES);
    const pagesLeft = (WASM_MEMORY_MAX_BYTES - memory.buffer.byteLength) / 65536;
    expect(() => memory.grow(pagesLeft + 1)).toThrow(RangeError);
  });

  it.each([
    ["huge array", "return new Array(1e9).fill(0).length;"],
    ["string doubling", "let s = 'x'; while (true) s += s; "],
    ["many objects", "const a = []; while (true) a.push({ x: a.length, y: String(a.length) });"],
    ["a map of arrays", "const m = new Map(); for (let i = 0; ; i++) m.set('k' + i, [i]);"],
  ])("ends a memory bomb at the heap ceiling (%s) as a memory error", async (_name, body) => {
    const r = await runFunction({ code: fn(body), args: null, limits: { memoryBytes: 64 * 1024 * 1024 } });
    expect(r.ok ? "ok" : `${r.error.kind}: ${r.error.message}`).toMatch(/^memory/);
    await healthy();
  });

  it("sees only the sandbox's own global: no host objects", async () => {
    const r = await runFunction({
      code: fn(`return ["fetch","process","caches","crypto","setTimeout","require","WebAssembly","navigator","Request","__islet_log"]
        .filter((name) => typeof globalThis[name] !== "undefined");`),
      args: null,
    });
    expect(r).toMatchObject({ ok: true, value: [] });
  });

  it("keeps prototype tampering inside its own invocation", async () => {
    await runFunction({
      code: fn("Object.prototype.polluted = 'yes'; Array.prototype.map = () => 'owned'; return 1;"),
      args: null,
    });
    const r = await runFunction({
      code: fn("return [({}).polluted ?? null, [1, 2].map((x) => x * 2)];"),
      args: null,
    });
    expect(r).toMatchObject({ ok: true, value: [null, [2, 4]] });
  });

  it("never shows one call's env or globals to another", async () => {
    await runFunction({
      code: fn("globalThis.leak = env.TOKEN; return 1;"),
      args: null,
      env: { TOKEN: "tenant-a-secret" },
    });
    const r = await runFunction({
      code: fn("return [typeof leak, JSON.stringify(env)];"),
      args: null,
      env: {},
    });
    expect(r).toMatchObject({ ok: true, value: ["undefined", "{}"] });
  });
});

describe("host calls (islet.accounts.fetch)", () => {
  const echo = (calls: unknown[] = []) => ({
    "accounts.fetch": async (arg: unknown) => {
      calls.push(arg);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { status: 200, body: JSON.stringify(arg) };
    },
  });

  it("hands the call to the host and its answer back to the code", async () => {
    const calls: unknown[] = [];
    const r = await runFunction({
      code: `async function main(args) {
        const a = await islet.accounts.fetch("stripe", { method: "GET", path: "/v1/x" });
        const [b, c] = await Promise.all([1, 2].map((n) => islet.accounts.fetch("s", { method: "GET", path: "/" + n })));
        return [a.status, JSON.parse(a.body), JSON.parse(b.body).request.path, JSON.parse(c.body).request.path];
      }`,
      args: null,
      host: echo(calls),
    });
    expect(r).toMatchObject({
      ok: true,
      value: [200, { account: "stripe", request: { method: "GET", path: "/v1/x" } }, "/1", "/2"],
    });
    expect(calls).toHaveLength(3);
  });

  it("turns a host failure into an error with the failure's code and message only", async () => {
    const r = await runFunction({
      code: `async function main() {
        try { await islet.accounts.fetch("nope", { method: "GET", path: "/" }); }
        catch (e) { return [e.name, e.code, e.message, Object.keys(e)]; }
      }`,
      args: null,
      host: {
        "accounts.fetch": async () => {
          throw Object.assign(new Error("Account nope does not exist"), {
            code: "not_found",
            stack: "at host",
          });
        },
      },
    });
    expect(r).toMatchObject({
      ok: true,
      value: ["IsletError", "not_found", "Account nope does not exist", ["name", "code"]],
    });
    const opaque = await runFunction({
      code: `async function main() { try { await islet.accounts.fetch("a", {}); } catch (e) { return [e.code, e.message]; } }`,
      args: null,
      host: {
        "accounts.fetch": async () => {
          throw new TypeError("internal detail /srv/x.ts");
        },
      },
    });
    expect(opaque).toMatchObject({ ok: true, value: ["host_error", "the call failed"] });
  });

  it("lends nothing when the host lends nothing, and never the raw bridge", async () => {
    expect(
      await runFunction({ code: fn("return [typeof islet, typeof __islet_host];"), args: null }),
    ).toMatchObject({ ok: true, value: ["undefined", "undefined"] });
    expect(
      await runFunction({
        code: fn("return [typeof islet.accounts.fetch, typeof __islet_host, Object.isFrozen(islet)];"),
        args: null,
        host: echo(),
      }),
    ).toMatchObject({ ok: true, value: ["function", "undefined", true] });
    const formula = await evaluateFormula({ expression: "typeof islet", row: {} });
    expect(formula).toMatchObject({ ok: true, value: "undefined" });
  });

  it("bounds the number of calls and refuses a request JSON cannot carry", async () => {
    const r = await runFunction({
      code: `async function main() {
        let n = 0;
        try { for (;;) { await islet.accounts.fetch("a", { method: "GET", path: "/" }); n++; } }
        catch (e) { return [n, e.name]; }
      }`,
      args: null,
      host: echo(),
    });
    expect(r).toMatchObject({ ok: true, value: [10, "RangeError"] });
    const cyclic = await runFunction({
      code: `async function main() { const o = {}; o.o = o;
        try { await islet.accounts.fetch("a", o); } catch (e) { return e.name; } }`,
      args: null,
      host: echo(),
    });
    expect(cyclic).toMatchObject({ ok: true, value: "TypeError" });
  });

  it("does not count waiting on the host as the code's time", async () => {
    const r = await runFunction({
      code: `async function main() { await islet.accounts.fetch("a", {}); return "done"; }`,
      args: null,
      limits: { timeoutMs: 50 },
      host: {
        "accounts.fetch": () => new Promise((resolve) => setTimeout(() => resolve({ status: 200 }), 200)),
      },
    });
    expect(r).toMatchObject({ ok: true, value: "done" });
  });

  it("never lets a call out outlive its invocation", async () => {
    const finished: number[] = [];
    const r = await runFunction({
      code: `function main() { for (let i = 0; i < 3; i++) islet.accounts.fetch("a", { i }); return "returned"; }`,
      args: null,
      host: {
        "accounts.fetch": async (arg) => {
          await new Promise((resolve) => setTimeout(resolve, 50));
          finished.push((arg as { request: { i: number } }).request.i);
          return {};
        },
      },
    });
    expect(r).toMatchObject({ ok: true, value: "returned" });
    expect(finished.sort()).toEqual([0, 1, 2]);
  });

  it("keeps a suspended invocation's heap off the main module: other code keeps its memory", async () => {
    let resume = () => {};
    const waiting = new Promise<void>((resolve) => {
      resume = resolve;
    });
    const held = runFunction({
      code: `async function main() { const big = "x".repeat(12 * 1024 * 1024); await islet.accounts.fetch("a", {}); return big.length; }`,
      args: null,
      host: { "accounts.fetch": () => waiting.then(() => ({})) },
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    // While that heap is held, an ordinary function still gets its whole default heap.
    const other = await runFunction({ code: fn(`return "y".repeat(10 * 1024 * 1024).length;`), args: null });
    expect(other).toMatchObject({ ok: true, value: 10 * 1024 * 1024 });
    await healthy();
    resume();
    expect(await held).toMatchObject({ ok: true, value: 12 * 1024 * 1024 });
  });

  it("ends code that spins while a call is in flight, and the next call still works", async () => {
    const r = await runFunction({
      code: `async function main() { islet.accounts.fetch("a", {}); await null; while (true) {} }`,
      args: null,
      host: echo(),
    });
    expect(errorKind(r)).toBe("timeout");
    await healthy();
  });
});

describe("formulas", () => {
  it("evaluates an expression over the row", async () => {
    expect(
      await evaluateFormula({ expression: "row.price * row.qty", row: { price: 2.5, qty: 4 } }),
    ).toMatchObject({
      ok: true,
      value: 10,
    });
  });

  it("cannot change the row it reads", async () => {
    const r = await evaluateFormula({ expression: "(row.price = 100, row.price)", row: { price: 1 } });
    expect(r.ok).toBe(false);
  });

  it("validates syntax at definition time", async () => {
    expect(await validateFormula("row.a + row.b")).toEqual({ ok: true });
    const bad = await validateFormula("row.a +");
    expect(bad.ok).toBe(false);
    expect(await validateFormula("1); (function(){ while(true){} })(")).toMatchObject({ ok: false });
  });

  it("evaluates a 10,000-row batch with per-row errors isolated", async () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => ({ price: i, qty: i % 7 === 0 ? null : 2 }));
    const results = await evaluateFormulaBatch({
      expression: "row.qty === null ? (() => { throw new Error('no qty') })() : row.price * row.qty",
      rows,
    });
    expect(results).toHaveLength(10_000);
    expect(results[1]).toMatchObject({ ok: true, value: 2 });
    expect(results[7]).toMatchObject({ ok: false, error: { kind: "runtime", message: "Error: no qty" } });
    expect(results.filter((r) => r.ok)).toHaveLength(10_000 - Math.ceil(10_000 / 7));
  });

  it("answers and charges the same on a machine however loaded: the sandbox's work is measured, not the clock", async () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => ({ price: i, qty: 2 }));
    const batch = async () => {
      let charged = -1;
      const results = await evaluateFormulaBatch({
        expression: "row.price * row.qty",
        rows,
        onUsage: (ms) => {
          charged = ms;
        },
      });
      return { values: results.map((r) => (r.ok ? r.value : r.error.kind)), charged };
    };
    const here = await batch();
    expect(here.values).toEqual(rows.map((r) => r.price * 2));
    expect(await onLoadedMachine(batch)).toEqual(here);
    // The protections hold there too: a formula that spins still stops.
    const spun = await onLoadedMachine(() =>
      evaluateFormula({ expression: "(() => { while (true) {} })()", row: {} }),
    );
    expect(errorKind(spun)).toBe("timeout");
  });
});

/**
 * Runs `body` as on a machine so loaded that every read of either clock finds 50 ms gone (the
 * batch above would take minutes of wall clock there).
 */
async function onLoadedMachine<T>(body: () => Promise<T>): Promise<T> {
  let date = Date.now();
  let perf = performance.now();
  const dateNow = vi.spyOn(Date, "now").mockImplementation(() => (date += 50));
  const perfNow = vi.spyOn(performance, "now").mockImplementation(() => (perf += 50));
  try {
    return await body();
  } finally {
    dateNow.mockRestore();
    perfNow.mockRestore();
  }
}
