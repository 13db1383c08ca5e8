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
  MAX_LANE_WAIT_MS,
  resolveLimits,
  type SandboxLimits,
  WALL_CLOCK_BACKSTOP_FACTOR,
} from "./limits";
import { PRELUDE } from "./prelude";

export type SandboxErrorKind =
  | "timeout"
  | "memory"
  | "output_too_large"
  | "syntax"
  | "runtime"
  | "invalid_result"
  /** The host lane stayed taken too long (calls out of other invocations); retry. */
  | "busy";

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
  /** Every call made, finished or not: the invocation ends only when all have (`drain`). */
  readonly #started: Promise<string>[] = [];

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
      this.#started.push(answer);
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

  /** Drops the VM's side of calls still in flight (the VM is going away). */
  dispose() {
    for (const call of this.#inflight.values()) call.deferred.dispose();
    this.#inflight.clear();
  }

  /** Waits until every call made has finished on the host side (answers are never rejections). */
  async drain(): Promise<void> {
    await Promise.all(this.#started);
  }
}

interface Opened {
  runtime: QuickJSRuntime;
  ctx: QuickJSContext;
  calls: HostCalls | undefined;
}

/**
 * One invocation's VM: a fresh QuickJS runtime and context that live only for this call (never
 * shared between calls or tenants), with its own heap cap, stack cap and interrupt budget.
 */
function open(
  module: QuickJSWASMModule,
  limits: SandboxLimits,
  logs: LogBuffer,
  meter: Meter,
  host?: Record<string, HostFunction>,
): Opened {
  const runtime = module.newRuntime();
  let ctx: QuickJSContext | undefined;
  const calls = host ? new HostCalls(host, meter) : undefined;
  try {
    runtime.setMemoryLimit(limits.memoryBytes);
    runtime.setMaxStackSize(limits.maxStackBytes);
    meter.deadline = Date.now() + limits.timeoutMs * WALL_CLOCK_BACKSTOP_FACTOR;
    const budget = limits.timeoutMs * INTERRUPTS_PER_MS;
    // Interrupt calls are the CPU measure (limits.ts); the wall-clock deadline (moved on by time
    // spent waiting on host calls) only backs it up against work that makes none.
    runtime.setInterruptHandler(() => ++meter.ticks > budget || Date.now() > meter.deadline);
    const vm = runtime.newContext();
    ctx = vm;
    const logFn = vm.newFunction("__islet_log", (line) => {
      logs.push(vm.getString(line));
    });
    vm.setProp(vm.global, "__islet_log", logFn);
    logFn.dispose();
    calls?.install(vm);
    unwrap(vm, vm.evalCode(PRELUDE, "prelude.js"), "runtime").dispose();
    return { runtime, ctx: vm, calls };
  } catch (error) {
    close({ runtime, ctx, calls });
    throw error;
  }
}

function close(opened: {
  runtime: QuickJSRuntime;
  ctx: QuickJSContext | undefined;
  calls: HostCalls | undefined;
}) {
  opened.calls?.dispose();
  opened.ctx?.dispose();
  opened.runtime.dispose();
}

/**
 * A synchronous invocation: created, run and disposed without yielding, so no two of them are
 * ever alive at once in a module (whose memory is sized for one live runtime).
 */
function withContext<T>(
  module: QuickJSWASMModule,
  limits: SandboxLimits,
  logs: LogBuffer,
  meter: Meter,
  body: (ctx: QuickJSContext, runtime: QuickJSRuntime) => T,
): T {
  const opened = open(module, limits, logs, meter);
  try {
    return body(opened.ctx, opened.runtime);
  } finally {
    close(opened);
  }
}

/**
 * An invocation that waits on host calls. It stays alive across those waits, so it runs on the
 * host lane's own module, one at a time (see createSandbox). Host calls still running when it
 * ends are waited for (each is bounded by its own timeout), so none outlives the request that
 * made it — an account call is never left to be cut off before it is audited.
 */
async function withHostContext<T>(
  module: QuickJSWASMModule,
  limits: SandboxLimits,
  logs: LogBuffer,
  meter: Meter,
  host: Record<string, HostFunction>,
  body: (ctx: QuickJSContext, runtime: QuickJSRuntime, calls: HostCalls) => Promise<T>,
): Promise<T> {
  const opened = open(module, limits, logs, meter, host);
  try {
    return await body(opened.ctx, opened.runtime, opened.calls as HostCalls);
  } finally {
    close(opened);
    await opened.calls?.drain();
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

/** Settles a promise result by running the VM's job queue (still under the interrupt budget). */
function settle(ctx: QuickJSContext, runtime: QuickJSRuntime, handle: QuickJSHandle): QuickJSHandle {
  if (ctx.typeof(handle) !== "object") return handle;
  let state = ctx.getPromiseState(handle);
  if (state.type === "fulfilled" && state.notAPromise) return handle;
  try {
    for (let i = 0; state.type === "pending" && i < 10_000; i++) {
      runJobs(ctx, runtime);
      state = ctx.getPromiseState(handle);
    }
  } finally {
    handle.dispose();
  }
  return settled(ctx, state);
}

/** As `settle`, and between runs of the job queue, waits on the host calls the code awaits. */
async function settleWithHost(
  ctx: QuickJSContext,
  runtime: QuickJSRuntime,
  handle: QuickJSHandle,
  calls: HostCalls,
): Promise<QuickJSHandle> {
  if (ctx.typeof(handle) !== "object") return handle;
  let state = ctx.getPromiseState(handle);
  if (state.type === "fulfilled" && state.notAPromise) return handle;
  try {
    for (let i = 0; state.type === "pending" && i < 10_000; i++) {
      runJobs(ctx, runtime);
      state = ctx.getPromiseState(handle);
      if (state.type === "pending" && calls.busy) await calls.next(ctx);
    }
  } finally {
    handle.dispose();
  }
  return settled(ctx, state);
}

function runJobs(ctx: QuickJSContext, runtime: QuickJSRuntime): void {
  const jobs = runtime.executePendingJobs();
  if (jobs.error) unwrap(ctx, { error: jobs.error }, "runtime");
  jobs.dispose();
}

function settled(ctx: QuickJSContext, state: ReturnType<QuickJSContext["getPromiseState"]>): QuickJSHandle {
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
  // The host lane: invocations that wait on host calls keep their runtime alive across awaits, so
  // they get a module of their own and take turns on it. Sharing the main module would let
  // suspended heaps add up against its bounded memory and fail other tenants' formulas.
  let hostModule: Promise<QuickJSWASMModule> | undefined;
  let lane: Promise<void> = Promise.resolve();

  /** A turn on the host lane, or a `busy` failure after waiting MAX_LANE_WAIT_MS. */
  async function takeLane(): Promise<() => void> {
    let release = () => {};
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const before = lane;
    lane = before.then(() => mine);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const turn = await Promise.race([
      before.then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), MAX_LANE_WAIT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (!turn) {
      // Gave up: pass the turn on as soon as it would have been ours.
      void before.then(release);
      throw new SandboxFailure("busy", "the sandbox is busy with other calls out; retry shortly");
    }
    return release;
  }

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
              const release = await takeLane();
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
