// One sandbox CPU budget per request (issue: formulas had none — each formula column of each
// insert got its own second). Every formula evaluation and function invocation of a request draws
// from it; once it is spent the request answers 422 `sandbox_error` with `kind: "budget"`. Use is
// the sandbox's own work in interrupt calls (limits.ts INTERRUPTS_PER_MS), never the wall clock:
// how loaded the machine is never decides whether a request runs out.
import { DEFAULT_LIMITS } from "./limits";

/** Sandbox time one request may use in all, across formulas, rows and functions. */
export const REQUEST_SANDBOX_BUDGET_MS = 2_000;

export class SandboxBudgetSpent extends Error {
  constructor() {
    super(`this request used up its ${REQUEST_SANDBOX_BUDGET_MS} ms of sandbox time`);
    this.name = "SandboxBudgetSpent";
  }
}

export class SandboxBudget {
  private spentMs = 0;

  constructor(readonly totalMs = REQUEST_SANDBOX_BUDGET_MS) {}

  get remainingMs(): number {
    return Math.max(0, this.totalMs - this.spentMs);
  }

  /**
   * The time limit for the next sandbox call: its own limit, or what is left if less. Throws
   * when nothing useful is left (under a millisecond).
   */
  allowance(requestedMs = DEFAULT_LIMITS.timeoutMs): { timeoutMs: number; capped: boolean } {
    const remaining = Math.floor(this.remainingMs);
    if (remaining < 1) throw new SandboxBudgetSpent();
    return remaining < requestedMs
      ? { timeoutMs: remaining, capped: true }
      : { timeoutMs: requestedMs, capped: false };
  }

  spend(ms: number): void {
    this.spentMs += Math.max(0, ms);
  }
}
