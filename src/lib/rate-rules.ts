// The vocabulary of rate limits (architecture §4), shared by the plans that declare them, the services
// that send them and the Gatekeeper that enforces them. The algorithm is the Gatekeeper's own
// (durable-objects/gatekeeper/rate-limit.ts).

/** `windowMs` of a rule that counts per calendar month (UTC) instead of a sliding window. */
export const CALENDAR_MONTH = 0;

/**
 * One limit: at most `limit` units (request costs) per `windowMs` sliding window, or per
 * calendar month (UTC) when `windowMs` is `CALENDAR_MONTH`. `id` names the rule in results
 * (e.g. `plan-minute`, `key-month`) and keys its window state.
 */
export interface GateRule {
  id: string;
  limit: number;
  windowMs: number;
}
