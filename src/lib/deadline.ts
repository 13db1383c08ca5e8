// Bounded waits (issue 19): every call to something that can stop answering (a database, a
// Durable Object, a queue) has a deadline, taken from one budget per request. The budget travels
// with the request's async context (AsyncLocalStorage, from nodejs_compat), so the database
// clients made anywhere below a route find it without every caller passing it along. Outside a
// request (the scheduled job, a queue consumer, the CLI) there is no request budget: each call
// still has its own cap.
import { AsyncLocalStorage } from "node:async_hooks";

/** A deadline passed: the caller answers 503 `unavailable`, with Retry-After. */
export class DeadlineExceeded extends Error {
  constructor(
    /** What did not answer: "database", "hub", "queue", "request". */
    readonly what: string,
    readonly ms: number,
  ) {
    super(`The ${what} did not answer within ${ms} ms`);
    this.name = "DeadlineExceeded";
  }
}

export interface Budget {
  /** Epoch ms the request must have answered by. */
  readonly deadlineAt: number;
  /** Each database statement (one HTTP round trip) at most this long. */
  readonly statementMs: number;
  /**
   * Set once the response is out: a streamed body keeps reading after it, bounded per statement
   * only (the request's own deadline was about its answer, not its download).
   */
  answered?: boolean;
}

/** Per-call caps when no request budget applies (scheduled jobs, consumers, scripts). */
export const DEFAULT_STATEMENT_MS = 5_000;

const current = new AsyncLocalStorage<Budget>();

export const withBudget = <T>(budget: Budget, run: () => T): T => current.run(budget, run);
export const currentBudget = (): Budget | undefined => current.getStore();

/** How long a call capped at `capMs` may take now: its cap, or what the request has left. */
export function allowance(capMs: number, budget = currentBudget()): number {
  if (!budget || budget.answered) return capMs;
  const left = budget.deadlineAt - Date.now();
  if (left <= 0) throw new DeadlineExceeded("request", 0);
  return Math.min(capMs, left);
}

/**
 * Runs `call` with an abort signal that fires at its deadline, and gives up waiting then even if
 * the call ignores the signal (a Durable Object stub does): the caller is never held past it.
 */
export async function withDeadline<T>(
  what: string,
  capMs: number,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const ms = allowance(capMs);
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new DeadlineExceeded(what, ms);
      controller.abort(error);
      reject(error);
    }, ms);
  });
  try {
    return await Promise.race([call(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Grace for cleanup after a deadline (a rollback, an undo): its own short budget. */
export const CLEANUP_MS = 2_000;

/**
 * Runs cleanup under a fresh budget: a rollback after the request's deadline must still be
 * sent, not refused because the budget it cleans up after is spent.
 */
export const withCleanupBudget = <T>(run: () => Promise<T>, ms = CLEANUP_MS): Promise<T> =>
  withBudget({ deadlineAt: Date.now() + ms, statementMs: ms }, run);

/** The deadline error anywhere in an error's cause chain (clients wrap what their fetch threw). */
export function deadlineIn(error: unknown): DeadlineExceeded | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof DeadlineExceeded) return e;
  }
  return undefined;
}
