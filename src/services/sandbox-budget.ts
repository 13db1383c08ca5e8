import { ApiError } from "../lib/errors";
import { REQUEST_SANDBOX_BUDGET_MS, SandboxBudgetSpent } from "../sandbox";
import type { ServiceContext } from "./core/context";

const spent = () =>
  new ApiError(
    "sandbox_error",
    `This request used up its ${REQUEST_SANDBOX_BUDGET_MS} ms of sandbox time (formulas and functions together)`,
    { details: { kind: "budget" } },
  );

/** Whether an error is this module's "request out of sandbox time" answer. */
export const isBudgetSpent = (error: unknown): boolean =>
  error instanceof ApiError &&
  error.code === "sandbox_error" &&
  (error.details as { kind?: string } | undefined)?.kind === "budget";

/**
 * Runs one sandbox call under the request's shared budget (src/sandbox/budget.ts): its time limit
 * is its own or what the request has left, its use is charged, and a call that ran out of time
 * because the budget was the tighter limit fails the request with `kind: "budget"`.
 */
export async function withinSandboxBudget<T>(
  ctx: ServiceContext,
  requestedMs: number,
  run: (limits: { timeoutMs: number }, onUsage: (cpuMs: number) => void) => Promise<T>,
  timedOut: (result: T) => boolean,
): Promise<T> {
  let allowance: { timeoutMs: number; capped: boolean };
  try {
    allowance = ctx.sandboxBudget.allowance(requestedMs);
  } catch (error) {
    if (error instanceof SandboxBudgetSpent) throw spent();
    throw error;
  }
  const result = await run({ timeoutMs: allowance.timeoutMs }, (ms) => ctx.sandboxBudget.spend(ms));
  if (allowance.capped && timedOut(result)) throw spent();
  return result;
}
