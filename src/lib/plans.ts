import { CALENDAR_MONTH, type GateRule } from "./rate-rules";

/**
 * Plans and their limits, in one place (DESIGN §4; seed 003: "Free 100/min → Enterprise
 * 50K/min"). The Gatekeeper enforces `perMinute` and `monthlyRequests` per principal and
 * `workspacePerMinute` and `monthlyRequests` per workspace; a key's own caps (seed 002) are added
 * on top by the caller and the tighter one wins. Plans change only by operator action.
 */
export type PlanId = "free" | "pro" | "business" | "enterprise" | "development";

export interface Plan {
  id: PlanId;
  name: string;
  /** Requests admitted in any sliding 60-second window. */
  perMinute: number;
  /** Requests admitted per calendar month (UTC). */
  monthlyRequests: number;
  /** Audit log export (NDJSON/CSV), DESIGN §9: Pro and above. */
  auditExport: boolean;
  /**
   * Requests per sliding minute for the whole workspace, summed over every principal (users,
   * keys, end users): minting more keys or end-user subjects does not multiply the allowance.
   */
  workspacePerMinute: number;
  /** Live API keys a workspace may hold. */
  maxKeys: number;
  /** Enabled end-user token issuers a workspace may register. */
  maxIssuers: number;
}

export const PLANS: Readonly<Record<PlanId, Plan>> = {
  free: {
    id: "free",
    name: "Free",
    perMinute: 100,
    monthlyRequests: 100_000,
    auditExport: false,
    workspacePerMinute: 300,
    maxKeys: 20,
    maxIssuers: 2,
  },
  pro: {
    id: "pro",
    name: "Pro",
    perMinute: 1_000,
    monthlyRequests: 5_000_000,
    auditExport: true,
    workspacePerMinute: 3_000,
    maxKeys: 200,
    maxIssuers: 10,
  },
  business: {
    id: "business",
    name: "Business",
    perMinute: 10_000,
    monthlyRequests: 50_000_000,
    auditExport: true,
    workspacePerMinute: 30_000,
    maxKeys: 2_000,
    maxIssuers: 50,
  },
  enterprise: {
    id: "enterprise",
    name: "Enterprise",
    perMinute: 50_000,
    monthlyRequests: 500_000_000,
    auditExport: true,
    workspacePerMinute: 150_000,
    maxKeys: 20_000,
    maxIssuers: 200,
  },
  // A laptop's plan (DESIGN §4): a seed loop or a test suite never meets a 429, while the limits
  // are still counted and shown. Never in production: the config refuses it as DEFAULT_PLAN and
  // the operator's plan change refuses it there.
  development: {
    id: "development",
    name: "Development",
    perMinute: 100_000,
    monthlyRequests: 1_000_000_000,
    auditExport: true,
    workspacePerMinute: 300_000,
    maxKeys: 20_000,
    maxIssuers: 200,
  },
};

/** Plans that exist only outside production. */
export const LOCAL_ONLY_PLANS: readonly PlanId[] = ["development"];

export const PLAN_IDS = Object.keys(PLANS) as PlanId[];

export const isPlanId = (value: unknown): value is PlanId =>
  typeof value === "string" && Object.hasOwn(PLANS, value);

export const MINUTE_MS = 60_000;

/**
 * A principal's rules under a plan: `plan-minute:<plan>` (sliding 60 s) and `plan-month`
 * (calendar month). The minute window is named by its plan, so each rule set keeps its own
 * counter: a user busy in a paid workspace is not limited on account routes by the free count.
 */
export function planRules(plan: PlanId): GateRule[] {
  const { perMinute, monthlyRequests } = PLANS[plan];
  return [
    { id: `plan-minute:${plan}`, limit: perMinute, windowMs: MINUTE_MS },
    { id: "plan-month", limit: monthlyRequests, windowMs: CALENDAR_MONTH },
  ];
}

/** The whole workspace's rules (its own Gatekeeper, `ws:<id>`): the aggregate over principals. */
export function workspaceRules(plan: PlanId): GateRule[] {
  const { workspacePerMinute, monthlyRequests } = PLANS[plan];
  return [
    { id: `workspace-minute:${plan}`, limit: workspacePerMinute, windowMs: MINUTE_MS },
    { id: "workspace-month", limit: monthlyRequests, windowMs: CALENDAR_MONTH },
  ];
}
