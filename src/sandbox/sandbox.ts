// The sandbox's public entry (index.ts binds it to the Worker's module): run a function, or a
// batch of formula rows, and validate either. Each invocation gets its own VM (runtime.ts); a
// function lent host capabilities waits on them through the host bridge (host.ts).
import type {
  QuickJSContext,
  QuickJSHandle,
  QuickJSRuntime,
  QuickJSWASMModule,
} from "quickjs-emscripten-core";
import { type HostFunction, HostLane, settleWithHost, withHostContext } from "./host";
import { INTERRUPTS_PER_MS, resolveLimits, type SandboxLimits } from "./limits";
import {
  LogBuffer,
  type Meter,
  readResult,
  SandboxFailure,
  type SandboxResult,
  setJson,
  settle,
  unwrap,
  withContext,
} from "./runtime";

export interface Sandbox {
  runFunction(input: {
    code: string;
    args: unknown;
    env?: Record<string, string>;
    /** Host capabilities lent to this call, reached in the VM through `islet.*` (prelude). */
    host?: Record<string, HostFunction>;
    limits?: Partial<SandboxLimits>;
    /** Called once with the CPU time the call used (for a per-request budget). */
    onUsage?: (cpuMs: number) => void;
  }): Promise<SandboxResult>;
  evaluateFormula(input: {
    expression: string;
    row: Record<string, unknown>;
    limits?: Partial<SandboxLimits>;
  }): Promise<SandboxResult>;
  evaluateFormulaBatch(input: {
    expression: string;
    rows: Record<string, unknown>[];
    limits?: Partial<SandboxLimits>;
    onUsage?: (cpuMs: number) => void;
  }): Promise<SandboxResult[]>;
  validateFormula(expression: string): Promise<{ ok: true } | { ok: false; message: string }>;
  /** Compiles function code without running it: syntax errors at definition time. */
  validateFunction(code: string): Promise<{ ok: true } | { ok: false; message: string }>;
}

/**
 * The sandbox over a QuickJS WebAssembly module. A WebAssembly trap (which would leave the
 * module's memory in an unknown state) discards the module; the next call loads a fresh one, so
 * one hostile invocation cannot break the ones after it.
 */
export function createSandbox(load: () => Promise<QuickJSWASMModule>): Sandbox {
  let module: Promise<QuickJSWASMModule> | undefined;
  // Invocations that wait on host calls run on a module of their own, taking turns (HostLane).
  let hostModule: Promise<QuickJSWASMModule> | undefined;
  const lane = new HostLane();

  async function invoke<T>(
    limitsIn: Partial<SandboxLimits> | undefined,
    run: (limits: SandboxLimits, logs: LogBuffer, meter: Meter) => Promise<T>,
    onFailure: (error: SandboxFailure) => T,
    onUsage?: (cpuMs: number) => void,
  ): Promise<{ value: T; logs: string[]; durationMs: number }> {
    const limits = resolveLimits(limitsIn);
    const logs = new LogBuffer(limits.maxLogBytes);
    const started = performance.now();
    const meter: Meter = { ticks: 0, deadline: 0, waitedMs: 0 };
    let value: T;
    try {
      value = await run(limits, logs, meter);
    } catch (error) {
      value = onFailure(
        error instanceof SandboxFailure
          ? error
          : new SandboxFailure("runtime", "the sandbox failed and was reset"),
      );
    }
    const durationMs = performance.now() - started;
    // The sandbox's own work, never the clock: a loaded machine must not spend a request's budget.
    onUsage?.(meter.ticks / INTERRUPTS_PER_MS);
    return { value, logs: logs.lines, durationMs };
  }

  /**
   * Runs `body` on a module, dropping the module when the invocation left it suspect: memory
   * exhaustion leaves its heap grown and fragmented, and a trap or abort inside WebAssembly leaves
   * it in an unknown state, so the next call (maybe another tenant's) gets a fresh instance.
   */
  async function onModule<T>(
    which: "main" | "host",
    body: (vm: QuickJSWASMModule) => T | Promise<T>,
  ): Promise<T> {
    if (which === "main") module ??= load();
    else hostModule ??= load();
    const current = (which === "main" ? module : hostModule) as Promise<QuickJSWASMModule>;
    const drop = () => {
      if (which === "main" && module === current) module = undefined;
      if (which === "host" && hostModule === current) hostModule = undefined;
    };
    const vm = await current;
    try {
      return await body(vm);
    } catch (error) {
      if (!(error instanceof SandboxFailure) || error.kind === "memory") drop();
      throw error;
    }
  }

  /** A synchronous invocation on the main module. */
  const sync = <T>(
    limitsIn: Partial<SandboxLimits> | undefined,
    body: (ctx: QuickJSContext, runtime: QuickJSRuntime, limits: SandboxLimits) => T,
    onFailure: (error: SandboxFailure) => T,
    onUsage?: (cpuMs: number) => void,
  ) =>
    invoke(
      limitsIn,
      (limits, logs, meter) =>
        onModule("main", (vm) =>
          withContext(vm, limits, logs, meter, (ctx, runtime) => body(ctx, runtime, limits)),
        ),
      onFailure,
      onUsage,
    );

  const INVOKE_MAIN = `(function () {
    if (typeof main !== "function") throw new TypeError("code must define function main(args, env)");
    const args = __islet_parse(__islet_args), env = __islet_freeze(__islet_parse(__islet_env));
    delete globalThis.__islet_args; delete globalThis.__islet_env;
    return main(args, env);
  })()`;

  const failed = (error: SandboxFailure) => ({
    ok: false as const,
    error: { kind: error.kind, message: error.message },
  });

  return {
    async runFunction({ code, args, env = {}, host, limits, onUsage }) {
      type Outcome = { ok: true; value: unknown } | ReturnType<typeof failed>;
      const prepare = (ctx: QuickJSContext) => {
        setJson(ctx, "__islet_args", args);
        setJson(ctx, "__islet_env", env);
        unwrap(ctx, ctx.evalCode(code, "function.js"), "syntax").dispose();
        return unwrap(ctx, ctx.evalCode(INVOKE_MAIN, "invoke.js"), "runtime");
      };
      const run = host
        ? await invoke<Outcome>(
            limits,
            async (l, logs, meter) => {
              const release = await lane.take();
              try {
                return await onModule("host", (vm) =>
                  withHostContext(vm, l, logs, meter, host, async (ctx, runtime, calls) => {
                    const result = await settleWithHost(ctx, runtime, prepare(ctx), calls);
                    return { ok: true as const, value: readResult(ctx, result, l) };
                  }),
                );
              } finally {
                release();
              }
            },
            failed,
            onUsage,
          )
        : await sync<Outcome>(
            limits,
            (ctx, runtime, l) => ({
              ok: true,
              value: readResult(ctx, settle(ctx, runtime, prepare(ctx)), l),
            }),
            failed,
            onUsage,
          );
      return { ...run.value, logs: run.logs, durationMs: run.durationMs } as SandboxResult;
    },

    async evaluateFormula({ expression, row, limits }) {
      const [result] = await this.evaluateFormulaBatch({ expression, rows: [row], limits });
      return result as SandboxResult;
    },

    async evaluateFormulaBatch({ expression, rows, limits, onUsage }) {
      // One context for the whole batch (one tenant, one call): the expression is compiled once
      // and each row evaluated in turn; a row that throws fails alone.
      const run = await sync(
        limits,
        (ctx, _runtime, l) => {
          const fn = unwrap(
            ctx,
            ctx.evalCode(`(function (row) { "use strict"; return (${expression}\n); })`, "formula.js"),
            "syntax",
          );
          try {
            return rows.map((row): SandboxResult => {
              const started = performance.now();
              try {
                setJson(ctx, "__islet_row", row);
                const rowHandle = unwrap(
                  ctx,
                  ctx.evalCode("__islet_freeze(__islet_parse(__islet_row))"),
                  "runtime",
                );
                let out: QuickJSHandle;
                try {
                  out = unwrap(ctx, ctx.callFunction(fn, ctx.undefined, rowHandle), "runtime");
                } finally {
                  rowHandle.dispose();
                }
                return {
                  ok: true,
                  value: readResult(ctx, out, l),
                  logs: [],
                  durationMs: performance.now() - started,
                };
              } catch (error) {
                if (!(error instanceof SandboxFailure) || error.kind === "timeout" || error.kind === "memory")
                  throw error;
                return { ...failed(error), logs: [], durationMs: performance.now() - started };
              }
            });
          } finally {
            fn.dispose();
          }
        },
        (error) => rows.map((): SandboxResult => ({ ...failed(error), logs: [], durationMs: 0 })),
        onUsage,
      );
      return run.value;
    },

    async validateFunction(code) {
      const run = await sync<{ ok: true } | { ok: false; message: string }>(
        // Compiling runs no user code; the budget is generous so a loaded machine never fails it.
        { timeoutMs: 1000 },
        (ctx) => {
          unwrap(ctx, ctx.evalCode(code, "function.js", { compileOnly: true }), "syntax").dispose();
          return { ok: true };
        },
        (error) => ({ ok: false, message: error.message }),
      );
      return run.value;
    },

    async validateFormula(expression) {
      const run = await sync<{ ok: true } | { ok: false; message: string }>(
        // Compiling runs no user code; the budget is generous so a loaded machine never fails it.
        { timeoutMs: 1000 },
        (ctx) => {
          // Must be one expression: text that closes the wrapper to smuggle in statements parses
          // in at most one of these two shapes.
          unwrap(
            ctx,
            ctx.evalCode(`(function (row) { return (${expression}\n); })`, "formula.js"),
            "syntax",
          ).dispose();
          unwrap(
            ctx,
            ctx.evalCode(`(function (row) { return [${expression}\n]; })`, "formula.js"),
            "syntax",
          ).dispose();
          return { ok: true };
        },
        (error) => ({ ok: false, message: error.message }),
      );
      return run.value;
    },
  };
}
