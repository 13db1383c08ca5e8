// One invocation's QuickJS VM: a fresh runtime and context with their limits and interrupt
// budget, the prelude, and how values and errors cross between the VM and the host. The host
// bridge (host.ts) plugs in as an extension; the public entry is sandbox.ts.
import type {
  QuickJSContext,
  QuickJSHandle,
  QuickJSRuntime,
  QuickJSWASMModule,
} from "quickjs-emscripten-core";
import { INTERRUPTS_PER_MS, type SandboxLimits, WALL_CLOCK_BACKSTOP_FACTOR } from "./limits";
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

export class SandboxFailure extends Error {
  constructor(
    readonly kind: SandboxErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export const utf8Length = (text: string) => new TextEncoder().encode(text).byteLength;

/** Bounded console capture: whole lines until the byte budget is spent, then one marker. */
export class LogBuffer {
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
export interface Meter {
  ticks: number;
  deadline: number;
  /** Time spent waiting on host calls, which is neither CPU nor the invocation's own time. */
  waitedMs: number;
}

/**
 * Something the host adds to a VM's global before the prelude runs (the host bridge), and drops
 * before the context is disposed: QuickJS refuses to free a context that still holds its handles.
 */
export interface VmExtension {
  install(ctx: QuickJSContext): void;
  dispose(): void;
}

export interface Opened {
  runtime: QuickJSRuntime;
  ctx: QuickJSContext;
  extension: VmExtension | undefined;
}

/**
 * One invocation's VM: a fresh QuickJS runtime and context that live only for this call (never
 * shared between calls or tenants), with its own heap cap, stack cap and interrupt budget.
 */
export function open(
  module: QuickJSWASMModule,
  limits: SandboxLimits,
  logs: LogBuffer,
  meter: Meter,
  extension?: VmExtension,
): Opened {
  const runtime = module.newRuntime();
  let ctx: QuickJSContext | undefined;
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
    extension?.install(vm);
    unwrap(vm, vm.evalCode(PRELUDE, "prelude.js"), "runtime").dispose();
    return { runtime, ctx: vm, extension };
  } catch (error) {
    close({ runtime, ctx, extension });
    throw error;
  }
}

export function close(opened: {
  runtime: QuickJSRuntime;
  ctx: QuickJSContext | undefined;
  extension: VmExtension | undefined;
}) {
  opened.extension?.dispose();
  opened.ctx?.dispose();
  opened.runtime.dispose();
}

/**
 * A synchronous invocation: created, run and disposed without yielding, so no two of them are
 * ever alive at once in a module (whose memory is sized for one live runtime).
 */
export function withContext<T>(
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

export function unwrap(
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
export function settle(ctx: QuickJSContext, runtime: QuickJSRuntime, handle: QuickJSHandle): QuickJSHandle {
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

export function runJobs(ctx: QuickJSContext, runtime: QuickJSRuntime): void {
  const jobs = runtime.executePendingJobs();
  if (jobs.error) unwrap(ctx, { error: jobs.error }, "runtime");
  jobs.dispose();
}

export function settled(
  ctx: QuickJSContext,
  state: ReturnType<QuickJSContext["getPromiseState"]>,
): QuickJSHandle {
  if (state.type === "pending") throw new SandboxFailure("runtime", "the returned promise never settled");
  if (state.type === "rejected") return unwrap(ctx, { error: state.error }, "runtime");
  return state.value;
}

/** Reads a result out of the VM as JSON text (serialized inside, capped in size). */
export function readResult(ctx: QuickJSContext, handle: QuickJSHandle, limits: SandboxLimits): unknown {
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

/** Puts a value on the VM's global as JSON text (the VM parses it itself). */
export function setJson(ctx: QuickJSContext, name: string, value: unknown) {
  const text = ctx.newString(JSON.stringify(value ?? null));
  ctx.setProp(ctx.global, name, text);
  text.dispose();
}
