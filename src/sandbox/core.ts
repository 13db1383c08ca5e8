import type {
  QuickJSContext,
  QuickJSDeferredPromise,
  QuickJSHandle,
  QuickJSRuntime,
  QuickJSWASMModule,
} from "quickjs-emscripten-core";
import {
  INTERRUPTS_PER_MS,
  MAX_HOST_ARG_BYTES,
  MAX_HOST_CALLS,
  MAX_HOST_WAIT_MS,
  resolveLimits,
  type SandboxLimits,
} from "./limits";
import { PRELUDE } from "./prelude";

export type SandboxErrorKind =
  | "timeout"
  | "memory"
  | "output_too_large"
  | "syntax"
  | "runtime"
  | "invalid_result";

export type SandboxResult =
  | { ok: true; value: unknown; logs: string[]; durationMs: number }
  | { ok: false; error: { kind: SandboxErrorKind; message: string }; logs: string[]; durationMs: number };

class SandboxFailure extends Error {
  constructor(
    readonly kind: SandboxErrorKind,
    message: string,
  ) {
    super(message);
  }
}

const utf8Length = (text: string) => new TextEncoder().encode(text).byteLength;

/** Bounded console capture: whole lines until the byte budget is spent, then one marker. */
class LogBuffer {
  readonly lines: string[] = [];
  #bytes = 0;
  #truncated = false;
  constructor(private readonly max: number) {}
  push(line: string) {
    if (this.#truncated) return;
    const size = utf8Length(line);
    if (this.#bytes + size > this.max) {
      this.#truncated = true;
      this.lines.push("[console output truncated]");
      return;
    }
    this.#bytes += size;
    this.lines.push(line);
  }
}

/** What one invocation has used: interrupt calls, and the deadline that waits on the host move. */
interface Meter {
  ticks: number;
  deadline: number;
  /** Time spent waiting on host calls, which is neither CPU nor the invocation's own time. */
  waitedMs: number;
}

/**
 * An asynchronous capability the host lends one invocation (DESIGN §7: a function calls an API
 * account by name and never sees its credential). It takes and returns JSON values; what it
 * throws reaches the code as an `Error` with the thrown `code` and `message` only.
 */
export type HostFunction = (arg: unknown) => Promise<unknown>;

interface HostFailure {
  code: string;
  message: string;
}

/** A host call's failure as the sandboxed code sees it: a code and message the caller may see. */
function hostFailure(error: unknown): HostFailure {
  const e = error as { code?: unknown; message?: unknown } | null;
  if (e && typeof e.code === "string" && typeof e.message === "string")
    return { code: e.code, message: e.message };
  return { code: "host_error", message: "the call failed" };
}

/**
 * The bridge for host functions. QuickJS runs synchronously, so a call returns a promise inside
 * the VM at once and the host work runs outside it; `settle` waits for that work between runs of
 * the VM's job queue. The answer crosses as JSON text (`{ ok, value | error }`), which the
 * prelude turns into a value or a thrown error. Bounded: calls per invocation, argument size, and
 * the total time spent waiting.
 */
class HostCalls {
  readonly #inflight = new Map<number, { deferred: QuickJSDeferredPromise; answer: Promise<string> }>();
  #calls = 0;

  constructor(
    private readonly functions: Record<string, HostFunction>,
    private readonly meter: Meter,
  ) {}

  install(ctx: QuickJSContext) {
    const bridge = ctx.newFunction("__islet_host", (nameHandle, argHandle) => {
      const name = ctx.getString(nameHandle);
      const text = ctx.getString(argHandle);
      const fn = Object.hasOwn(this.functions, name) ? this.functions[name] : undefined;
      if (!fn) return { error: ctx.newError({ name: "TypeError", message: `${name} is not available` }) };
      if (++this.#calls > MAX_HOST_CALLS) {
        return {
          error: ctx.newError({
            name: "RangeError",
            message: `at most ${MAX_HOST_CALLS} calls per invocation`,
          }),
        };
      }
      if (utf8Length(text) > MAX_HOST_ARG_BYTES) {
        return {
          error: ctx.newError({
            name: "RangeError",
            message: `a call's request exceeds ${MAX_HOST_ARG_BYTES} bytes`,
          }),
        };
      }
      const deferred = ctx.newPromise();
      const answer = (async () => fn(JSON.parse(text)))().then(
        (value) => JSON.stringify({ ok: true, value: value ?? null }),
        (error: unknown) => JSON.stringify({ ok: false, error: hostFailure(error) }),
      );
      this.#inflight.set(this.#calls, { deferred, answer });
      return deferred.handle;
    });
    ctx.setProp(ctx.global, "__islet_host", bridge);
    bridge.dispose();
  }

  get busy(): boolean {
    return this.#inflight.size > 0;
  }

  /** Waits for the first call in flight to finish and hands its answer to the VM. */
  async next(ctx: QuickJSContext): Promise<void> {
    const started = Date.now();
    const left = MAX_HOST_WAIT_MS - this.meter.waitedMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const first = await Promise.race([
      ...[...this.#inflight].map(([id, call]) => call.answer.then((text) => ({ id, text }))),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), Math.max(0, left));
      }),
    ]);
    clearTimeout(timer);
    const waited = Date.now() - started;
    this.meter.waitedMs += waited;
    this.meter.deadline += waited;
    if (!first)
      throw new SandboxFailure("timeout", `calls out of the sandbox took over ${MAX_HOST_WAIT_MS} ms in all`);
    const call = this.#inflight.get(first.id);
    this.#inflight.delete(first.id);
    if (!call) return;
    const text = ctx.newString(first.text);
    call.deferred.resolve(text);
    text.dispose();
  }

  /** Drops the VM's side of calls still in flight (the host work finishes unobserved). */
  dispose() {
    for (const call of this.#inflight.values()) call.deferred.dispose();
    this.#inflight.clear();
  }
}

/**
 * One invocation: a fresh QuickJS runtime and context that live only for this call (never shared
 * between calls or tenants), with its own heap cap, stack cap and interrupt budget, disposed in
 * every outcome.
 */
async function withContext<T>(
  module: QuickJSWASMModule,
  limits: SandboxLimits,
  logs: LogBuffer,
  meter: Meter,
  host: Record<string, HostFunction> | undefined,
  body: (ctx: QuickJSContext, runtime: QuickJSRuntime, host: HostCalls | undefined) => T | Promise<T>,
): Promise<T> {
  const runtime = module.newRuntime();
  try {
    runtime.setMemoryLimit(limits.memoryBytes);
    runtime.setMaxStackSize(limits.maxStackBytes);
    meter.deadline = Date.now() + limits.timeoutMs;
    const budget = limits.timeoutMs * INTERRUPTS_PER_MS;
    // Interrupt calls are the CPU measure that works in workerd, whose clocks stand still while
    // code runs; the wall-clock deadline (moved on by time spent waiting on host calls) is the
    // backstop elsewhere.
    runtime.setInterruptHandler(() => ++meter.ticks > budget || Date.now() > meter.deadline);
    const ctx = runtime.newContext();
    const calls = host ? new HostCalls(host, meter) : undefined;
    try {
      const logFn = ctx.newFunction("__islet_log", (line) => {
        logs.push(ctx.getString(line));
      });
      ctx.setProp(ctx.global, "__islet_log", logFn);
      logFn.dispose();
      calls?.install(ctx);
      unwrap(ctx, ctx.evalCode(PRELUDE, "prelude.js"), "runtime").dispose();
      return await body(ctx, runtime, calls);
    } finally {
      calls?.dispose();
      ctx.dispose();
    }
  } finally {
    runtime.dispose();
  }
}

function classify(error: { name?: string; message?: string } | undefined, fallback: SandboxErrorKind) {
  const name = error?.name ?? "Error";
  const message = error?.message ?? "unknown error";
  if (/interrupted/i.test(message))
    return new SandboxFailure("timeout", "execution exceeded its time budget");
  if (/out of memory|string too long|invalid array length/i.test(message)) {
    return new SandboxFailure("memory", "execution exceeded its memory limit");
  }
  if (name === "SyntaxError" && fallback === "syntax")
    return new SandboxFailure("syntax", `SyntaxError: ${message}`);
  return new SandboxFailure("runtime", `${name}: ${message}`);
}

function unwrap(
  ctx: QuickJSContext,
  result: { error: QuickJSHandle; value?: undefined } | { value: QuickJSHandle; error?: undefined },
  kind: SandboxErrorKind,
): QuickJSHandle {
  if (result.error) {
    const dumped = ctx.dump(result.error) as { name?: string; message?: string } | null | undefined;
    result.error.dispose();
    throw classify(
      typeof dumped === "object" && dumped !== null
        ? dumped
        : // QuickJS throws `null` when it runs out of memory while building the "out of memory"
          // error itself (seen with Maps of arrays at the heap limit); a literal `throw null` in
          // user code is reported the same way.
          dumped === null
          ? { message: "out of memory" }
          : { message: String(dumped) },
      kind,
    );
  }
  return result.value as QuickJSHandle;
}

/**
 * Settles a promise result by running the VM's job queue (still under the interrupt budget), and
 * between runs waiting on the host calls the code is waiting for.
 */
async function settle(
  ctx: QuickJSContext,
  runtime: QuickJSRuntime,
  handle: QuickJSHandle,
  host: HostCalls | undefined,
): Promise<QuickJSHandle> {
  if (ctx.typeof(handle) !== "object") return handle;
  let state = ctx.getPromiseState(handle);
  if (state.type === "fulfilled" && state.notAPromise) return handle;
  try {
    for (let i = 0; state.type === "pending" && i < 10_000; i++) {
      const jobs = runtime.executePendingJobs();
      if (jobs.error) unwrap(ctx, { error: jobs.error }, "runtime");
      jobs.dispose();
      state = ctx.getPromiseState(handle);
      if (state.type === "pending" && host?.busy) await host.next(ctx);
    }
  } finally {
    handle.dispose();
  }
  if (state.type === "pending") throw new SandboxFailure("runtime", "the returned promise never settled");
  if (state.type === "rejected") return unwrap(ctx, { error: state.error }, "runtime");
  return state.value;
}

/** Reads a result out of the VM as JSON text (serialized inside, capped in size). */
function readResult(ctx: QuickJSContext, handle: QuickJSHandle, limits: SandboxLimits): unknown {
  const serialize = ctx.getProp(ctx.global, "__islet_serialize");
  try {
    const textHandle = unwrap(ctx, ctx.callFunction(serialize, ctx.undefined, handle), "invalid_result");
    const text = ctx.getString(textHandle);
    textHandle.dispose();
    // JSON text never starts with "!", so the marker cannot collide with a real result.
    if (text.startsWith("!invalid:")) {
      throw new SandboxFailure("invalid_result", `the result is not JSON-serialisable (${text.slice(9)})`);
    }
    if (utf8Length(text) > limits.maxOutputBytes) {
      throw new SandboxFailure("output_too_large", `the result exceeds ${limits.maxOutputBytes} bytes`);
    }
    return JSON.parse(text);
  } finally {
    serialize.dispose();
    handle.dispose();
  }
}

function setJson(ctx: QuickJSContext, name: string, value: unknown) {
  const text = ctx.newString(JSON.stringify(value ?? null));
  ctx.setProp(ctx.global, name, text);
  text.dispose();
}

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

  async function invoke<T>(
    limitsIn: Partial<SandboxLimits> | undefined,
    body: (
      ctx: QuickJSContext,
      runtime: QuickJSRuntime,
      limits: SandboxLimits,
      host: HostCalls | undefined,
    ) => T | Promise<T>,
    onFailure: (error: SandboxFailure) => T,
    onUsage?: (cpuMs: number) => void,
    host?: Record<string, HostFunction>,
  ): Promise<{ value: T; logs: string[]; durationMs: number }> {
    const limits = resolveLimits(limitsIn);
    const logs = new LogBuffer(limits.maxLogBytes);
    const started = performance.now();
    module ??= load();
    const vm = await module;
    const meter: Meter = { ticks: 0, deadline: 0, waitedMs: 0 };
    let value: T;
    try {
      value = await withContext(vm, limits, logs, meter, host, (ctx, runtime, calls) =>
        body(ctx, runtime, limits, calls),
      );
    } catch (error) {
      if (error instanceof SandboxFailure) {
        // Memory exhaustion leaves the module's heap grown and fragmented: the next call (maybe
        // another tenant's) gets a fresh instance rather than what a memory bomb left behind.
        if (error.kind === "memory") module = undefined;
        value = onFailure(error);
      } else {
        module = undefined; // a trap or abort inside WebAssembly: never reuse that instance
        value = onFailure(new SandboxFailure("runtime", "the sandbox failed and was reset"));
      }
    }
    const durationMs = performance.now() - started;
    onUsage?.(Math.max(durationMs - meter.waitedMs, meter.ticks / INTERRUPTS_PER_MS));
    return { value, logs: logs.lines, durationMs };
  }

  const failed = (error: SandboxFailure) => ({
    ok: false as const,
    error: { kind: error.kind, message: error.message },
  });

  return {
    async runFunction({ code, args, env = {}, host, limits, onUsage }) {
      type Outcome = { ok: true; value: unknown } | ReturnType<typeof failed>;
      const run = await invoke<Outcome>(
        limits,
        async (ctx, runtime, l, calls) => {
          setJson(ctx, "__islet_args", args);
          setJson(ctx, "__islet_env", env);
          unwrap(ctx, ctx.evalCode(code, "function.js"), "syntax").dispose();
          const call = `(function () {
            if (typeof main !== "function") throw new TypeError("code must define function main(args, env)");
            const args = __islet_parse(__islet_args), env = __islet_freeze(__islet_parse(__islet_env));
            delete globalThis.__islet_args; delete globalThis.__islet_env;
            return main(args, env);
          })()`;
          const result = await settle(
            ctx,
            runtime,
            unwrap(ctx, ctx.evalCode(call, "invoke.js"), "runtime"),
            calls,
          );
          return { ok: true, value: readResult(ctx, result, l) };
        },
        failed,
        onUsage,
        host,
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
      const run = await invoke(
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
      const run = await invoke<{ ok: true } | { ok: false; message: string }>(
        { timeoutMs: 100 },
        (ctx) => {
          unwrap(ctx, ctx.evalCode(code, "function.js", { compileOnly: true }), "syntax").dispose();
          return { ok: true };
        },
        (error) => ({ ok: false, message: error.message }),
      );
      return run.value;
    },

    async validateFormula(expression) {
      const run = await invoke<{ ok: true } | { ok: false; message: string }>(
        { timeoutMs: 100 },
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
