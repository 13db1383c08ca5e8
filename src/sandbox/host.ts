// The host bridge: the calls a function makes out of the sandbox (`islet.accounts.fetch`, see the
// prelude), their caps, the JSON that crosses, and the lane on which such invocations take turns.
import type {
  QuickJSContext,
  QuickJSDeferredPromise,
  QuickJSHandle,
  QuickJSRuntime,
  QuickJSWASMModule,
} from "quickjs-emscripten-core";
import {
  MAX_HOST_ARG_BYTES,
  MAX_HOST_CALLS,
  MAX_HOST_WAIT_MS,
  MAX_LANE_WAIT_MS,
  type SandboxLimits,
} from "./limits";
import {
  close,
  type LogBuffer,
  type Meter,
  open,
  runJobs,
  SandboxFailure,
  settled,
  utf8Length,
  type VmExtension,
} from "./runtime";

/**
 * An asynchronous capability the host lends one invocation (architecture §7: a function calls an API
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
export class HostCalls implements VmExtension {
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

/**
 * An invocation that waits on host calls. It stays alive across those waits, so it runs on the
 * host lane's own module, one at a time (see createSandbox). Host calls still running when it
 * ends are waited for (each is bounded by its own timeout), so none outlives the request that
 * made it — an account call is never left to be cut off before it is audited.
 */
export async function withHostContext<T>(
  module: QuickJSWASMModule,
  limits: SandboxLimits,
  logs: LogBuffer,
  meter: Meter,
  host: Record<string, HostFunction>,
  body: (ctx: QuickJSContext, runtime: QuickJSRuntime, calls: HostCalls) => Promise<T>,
): Promise<T> {
  const calls = new HostCalls(host, meter);
  const opened = open(module, limits, logs, meter, calls);
  try {
    return await body(opened.ctx, opened.runtime, calls);
  } finally {
    close(opened);
    await calls.drain();
  }
}

/** As `settle` (runtime.ts), and between runs of the job queue, waits on the host calls the code awaits. */
export async function settleWithHost(
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

/**
 * The host lane: invocations that wait on host calls keep their runtime alive across awaits, so
 * they get a module of their own and take turns on it. Sharing the main module would let
 * suspended heaps add up against its bounded memory and fail other tenants' formulas.
 */
export class HostLane {
  #tail: Promise<void> = Promise.resolve();

  /** A turn on the lane, or a `busy` failure after waiting MAX_LANE_WAIT_MS. */
  async take(): Promise<() => void> {
    let release = () => {};
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const before = this.#tail;
    this.#tail = before.then(() => mine);
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
}
