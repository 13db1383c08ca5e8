import { ApiError } from "./errors";
import { CALENDAR_MONTH, type GateRule } from "./rate-rules";

/**
 * Plans and their limits, in one place (architecture §4; seed 003: "Free 100/min → Enterprise
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
  /** Audit log export (NDJSON/CSV), architecture §9: Pro and above. */
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
  /**
   * Workspaces a user may own (each is a database at the provider). Plans belong to workspaces,
   * so a user's allowance is `workspacesAllowed`: the best plan among the workspaces they own.
   */
  maxWorkspaces: number;
  /** User tables in a workspace's database. */
  maxTables: number;
  /** Functions a workspace may hold. */
  maxFunctions: number;
  /** Workspace secrets. */
  maxSecrets: number;
  /** API accounts (stored upstreams). */
  maxApiAccounts: number;
  /** Webhook endpoints: every write fans out to all of them. */
  maxWebhooks: number;
  /** The tenant database's size in bytes (the provider's figure, or page_count × page_size). */
  storageBytes: number;
  /** Rows across the workspace's own tables (system tables are islet's and not counted). */
  maxRows: number;
}

/** The per-workspace caps a create verb checks, by the resource name they carry on the wire. */
export const CAPPED = {
  keys: "maxKeys",
  issuers: "maxIssuers",
  workspaces: "maxWorkspaces",
  tables: "maxTables",
  functions: "maxFunctions",
  secrets: "maxSecrets",
  api_accounts: "maxApiAccounts",
  webhooks: "maxWebhooks",
} as const satisfies Record<string, keyof Plan>;
export type CappedResource = keyof typeof CAPPED;

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

const ENTERPRISE: Plan = {
  id: "enterprise",
  name: "Enterprise",
  perMinute: 50_000,
  monthlyRequests: 500_000_000,
  auditExport: true,
  workspacePerMinute: 150_000,
  maxKeys: 20_000,
  maxIssuers: 200,
  maxWorkspaces: 200,
  maxTables: 10_000,
  maxFunctions: 5_000,
  maxSecrets: 5_000,
  maxApiAccounts: 1_000,
  maxWebhooks: 500,
  storageBytes: 512 * GiB,
  maxRows: 1_000_000_000,
};

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
    maxWorkspaces: 3,
    maxTables: 50,
    maxFunctions: 20,
    maxSecrets: 20,
    maxApiAccounts: 5,
    maxWebhooks: 5,
    storageBytes: 256 * MiB,
    maxRows: 100_000,
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
    maxWorkspaces: 10,
    maxTables: 500,
    maxFunctions: 200,
    maxSecrets: 200,
    maxApiAccounts: 50,
    maxWebhooks: 25,
    storageBytes: 8 * GiB,
    maxRows: 10_000_000,
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
    maxWorkspaces: 50,
    maxTables: 2_000,
    maxFunctions: 1_000,
    maxSecrets: 1_000,
    maxApiAccounts: 200,
    maxWebhooks: 100,
    storageBytes: 64 * GiB,
    maxRows: 100_000_000,
  },
  enterprise: ENTERPRISE,
  // A laptop's plan (architecture §4): a seed loop or a test suite never meets a 429, while the limits
  // are still counted and shown. Never in production: the config refuses it as DEFAULT_PLAN and
  // the operator's plan change refuses it there. Its caps are enterprise's: high enough never to
  // stop a laptop, low enough to stay meaningful.
  development: {
    ...ENTERPRISE,
    id: "development",
    name: "Development",
    perMinute: 100_000,
    monthlyRequests: 1_000_000_000,
    workspacePerMinute: 300_000,
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

/** The cap on `resource` under `plan`. */
export const capOf = (plan: PlanId, resource: CappedResource): number => PLANS[plan][CAPPED[resource]];

/**
 * The one refusal of every count cap: 403 `plan_limit`, details `{ resource, limit, plan }`.
 * (`plan_required`, 402, stays what it was first: a feature the plan does not include.)
 */
export function planLimit(resource: CappedResource, plan: PlanId, limit = capOf(plan, resource)): ApiError {
  return new ApiError("plan_limit", `The ${plan} plan allows ${limit} ${resource.replace("_", " ")}`, {
    details: { resource, limit, plan },
  });
}

/**
 * How many workspaces a user may own. Plans belong to workspaces, not users, so the allowance is
 * the best cap among the plans of the workspaces they already own, never below free's: paying for
 * one workspace lifts the owner's allowance, and a user who owns none can still start on free.
 */
export function workspacesAllowed(ownedPlans: readonly PlanId[]): { limit: number; plan: PlanId } {
  let best: PlanId = "free";
  for (const plan of ownedPlans) if (PLANS[plan].maxWorkspaces > PLANS[best].maxWorkspaces) best = plan;
  return { limit: PLANS[best].maxWorkspaces, plan: best };
}
