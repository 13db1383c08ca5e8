/** What one sandboxed invocation may use. Every value is capped; callers may only lower them. */
export interface SandboxLimits {
  /** Interrupt budget in ms-equivalents (INTERRUPTS_PER_MS), ≤ 1000 ms; the clock backs it up. */
  timeoutMs: number;
  /** QuickJS heap for this invocation's runtime, ≤ 32 MiB. */
  memoryBytes: number;
  maxStackBytes: number;
  /** UTF-8 size of the result's JSON. */
  maxOutputBytes: number;
  /** Total console output kept; the rest is cut with a marker. */
  maxLogBytes: number;
}

export const DEFAULT_LIMITS: SandboxLimits = {
  timeoutMs: 1000,
  memoryBytes: 16 * 1024 * 1024,
  maxStackBytes: 256 * 1024,
  maxOutputBytes: 64 * 1024,
  maxLogBytes: 8 * 1024,
};

const CEILINGS: SandboxLimits = {
  timeoutMs: 1000,
  memoryBytes: 32 * 1024 * 1024,
  maxStackBytes: 1024 * 1024,
  maxOutputBytes: 1024 * 1024,
  maxLogBytes: 64 * 1024,
};

/** Host calls (API accounts) one function invocation may make, in all. */
export const MAX_HOST_CALLS = 10;
/** The JSON request of one host call. */
export const MAX_HOST_ARG_BYTES = 1024 * 1024;
/**
 * Time one invocation may spend waiting on host calls, in all. Waiting is not CPU: it does not
 * count against `timeoutMs` or the request's sandbox budget, but it is bounded here.
 */
export const MAX_HOST_WAIT_MS = 30_000;
/** How long an invocation that calls out waits for the host lane before failing as `busy`. */
export const MAX_LANE_WAIT_MS = 10_000;

/**
 * The QuickJS module's whole linear memory (every runtime's heap, its stack and static data) is
 * a `WebAssembly.Memory` that can never grow past this — the 32 MiB heap ceiling plus headroom —
 * instead of emscripten's default 2 GiB, so no bug in a heap limit can take the Worker's memory.
 */
export const WASM_MEMORY_MAX_BYTES = 48 * 1024 * 1024;
const WASM_PAGE = 64 * 1024;
/** emscripten's INITIAL_MEMORY for this build (16 MiB); the memory import needs at least this. */
const WASM_MEMORY_INITIAL_BYTES = 16 * 1024 * 1024;

export const boundedWasmMemory = async () =>
  new WebAssembly.Memory({
    initial: WASM_MEMORY_INITIAL_BYTES / WASM_PAGE,
    maximum: WASM_MEMORY_MAX_BYTES / WASM_PAGE,
  });

export function resolveLimits(requested: Partial<SandboxLimits> = {}): SandboxLimits {
  const out = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(out) as (keyof SandboxLimits)[]) {
    const value = requested[key];
    if (typeof value === "number" && Number.isFinite(value) && value > 0)
      out[key] = Math.min(value, CEILINGS[key]);
  }
  return out;
}

/**
 * The sandbox's CPU measure. QuickJS calls its interrupt handler every few thousand bytecode
 * operations, so a count of those calls is the sandbox's own work: the same on a fast machine and
 * a loaded one, and the only measure in workerd, whose clocks stand still while code runs. A time
 * limit of N ms is a budget of N × INTERRUPTS_PER_MS calls, and a call's use is charged to the
 * request's budget at the same rate. Measured in workerd on the 2-core development machine: a
 * tight loop makes ~40 calls per ms, recursive calls ~4, so the budget is about right for
 * call-heavy code and stops a tight loop sooner.
 */
export const INTERRUPTS_PER_MS = 4;

/**
 * Where clocks move (local development, Node), a wall-clock deadline backs the interrupt budget
 * up against work that makes no interrupt calls (one long native operation). It is this many
 * times the time limit, so that only such work reaches it: code within its interrupt budget would
 * meet the clock only on a machine at least ten times slower than the one INTERRUPTS_PER_MS was
 * measured on. A machine's speed must not decide whether a formula or a function succeeds.
 */
export const WALL_CLOCK_BACKSTOP_FACTOR = 10;
