import { CALENDAR_MONTH, type GateRule } from "./rate-limit";

/**
 * Plans and their limits, in one place (DESIGN §4; seed 003: "Free 100/min → Enterprise
 * 50K/min"). The Gatekeeper enforces `perMinute` and `monthlyRequests` per principal; a key's
 * own caps (seed 002) are added on top by the caller and the tighter one wins.
 */
export type PlanId = "free" | "pro" | "business" | "enterprise";

export interface Plan {
  id: PlanId;
  name: string;
  /** Requests admitted in any sliding 60-second window. */
  perMinute: number;
  /** Requests admitted per calendar month (UTC). */
  monthlyRequests: number;
  /** Audit log export (NDJSON/CSV), DESIGN §9: Pro and above. */
  auditExport: boolean;
}

export const PLANS: Readonly<Record<PlanId, Plan>> = {
  free: { id: "free", name: "Free", perMinute: 100, monthlyRequests: 100_000, auditExport: false },
  pro: { id: "pro", name: "Pro", perMinute: 1_000, monthlyRequests: 5_000_000, auditExport: true },
  business: {
    id: "business",
    name: "Business",
    perMinute: 10_000,
    monthlyRequests: 50_000_000,
    auditExport: true,
  },
  enterprise: {
    id: "enterprise",
    name: "Enterprise",
    perMinute: 50_000,
    monthlyRequests: 500_000_000,
    auditExport: true,
  },
};

export const PLAN_IDS = Object.keys(PLANS) as PlanId[];

export const isPlanId = (value: unknown): value is PlanId =>
  typeof value === "string" && Object.hasOwn(PLANS, value);

export const MINUTE_MS = 60_000;

/** The Gatekeeper rules of a plan: `plan-minute` (sliding 60 s) and `plan-month` (calendar month). */
export function planRules(plan: PlanId): GateRule[] {
  const { perMinute, monthlyRequests } = PLANS[plan];
  return [
    { id: "plan-minute", limit: perMinute, windowMs: MINUTE_MS },
    { id: "plan-month", limit: monthlyRequests, windowMs: CALENDAR_MONTH },
  ];
}
