import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/env";
import { type Budget, withBudget, withDeadline } from "../lib/deadline";

/** An import reads and writes a whole archive: its answer may take longer than a request's. */
const LONG_REQUESTS = /^\/v1\/workspaces\/[^/]+\/import\/?$/;
const LONG_REQUEST_MS = 120_000;

/**
 * One budget per request (issue 19): every database, Durable Object and queue call below takes
 * its deadline from it (src/lib/deadline.ts), and if the whole request has not answered by
 * REQUEST_TIMEOUT_MS it answers 503 `unavailable` with Retry-After anyway, never a hang. Work
 * still under way then is abandoned: its next call finds the budget spent and stops. A body
 * streamed after the answer (an export) is bounded per statement only.
 */
export const deadline = createMiddleware<AppEnv>(async (c, next) => {
  const config = c.get("config");
  const ms = LONG_REQUESTS.test(c.req.path)
    ? Math.max(config.REQUEST_TIMEOUT_MS, LONG_REQUEST_MS)
    : config.REQUEST_TIMEOUT_MS;
  const budget: Budget = { deadlineAt: Date.now() + ms, statementMs: config.DB_STATEMENT_TIMEOUT_MS };
  await withBudget(budget, () => withDeadline("request", ms, () => next()));
  // Answered in time: a body streamed from here on is bounded per statement only. A request
  // that timed out keeps its spent budget, so work still under way stops at its next call.
  budget.answered = true;
});
