import type { WorkspaceRow } from "../../db/control/schema";
import { addressKey } from "../../lib/address";
import { isPlanId, MINUTE_MS, type PlanId, planRules, workspaceRules } from "../../lib/plans";
import { CALENDAR_MONTH, type GateRule } from "../../lib/rate-rules";
import type { Actor } from "../core/actor";
import { type CheckResult, type Credential, gate } from ".";

/**
 * What the Gatekeeper is asked for one request or one socket message (architecture §4): the principal
 * with its plan's rules (a key's own caps on top) and its credential for the revocation check,
 * and the counters it shares with others (the workspace's aggregate, a child key's ancestors'
 * monthly caps). REST requests and socket messages are admitted by the same plan, so a socket
 * shares its credential's allowance rather than adding to it.
 */
export interface Admission {
  principal: string;
  plan: PlanId;
  rules: GateRule[];
  credential?: Credential;
  shared: { principal: string; rules: GateRule[] }[];
}

/** What admission needs of a verified API key (services/keys' VerifiedKey). */
export interface AdmittedKey {
  plan: PlanId;
  perMinute: number | null;
  monthlyCap: number | null;
  ancestorCaps: { keyId: string; monthlyCap: number }[];
}

export interface AdmissionSubject {
  actor: Actor;
  /** The verified API key, when the actor is one. */
  key?: AdmittedKey;
  /** The addressed workspace, and whether a signed-in user is its member. */
  workspace?: WorkspaceRow;
  member?: boolean;
  ip: string | null;
}

/**
 * The Gatekeeper object of a credential's holder: its limits, its revocations, and the
 * idempotency keys it has in flight (services/idempotency), all in the one object.
 */
export function credentialPrincipal(actor: Extract<Actor, { type: "user" | "apiKey" | "endUser" }>): string {
  switch (actor.type) {
    case "user":
      return `user:${actor.userId}`;
    case "apiKey":
      return `key:${actor.keyId}`;
    case "endUser":
      return `end:${actor.workspaceId}:${actor.issuerId}:${actor.subject}`;
  }
}

export function admissionFor({ actor, key, workspace, member, ip }: AdmissionSubject): Admission {
  let admission: Omit<Admission, "shared">;
  if (actor.type === "apiKey" && key) {
    admission = {
      principal: credentialPrincipal(actor),
      plan: key.plan,
      rules: [...planRules(key.plan), ...keyCapRules(key.perMinute, key.monthlyCap)],
      credential: { id: actor.keyId },
    };
  } else if (actor.type === "user") {
    const plan = workspace && member && isPlanId(workspace.plan) ? workspace.plan : "free";
    admission = {
      principal: credentialPrincipal(actor),
      plan,
      rules: planRules(plan),
      credential: { id: actor.sessionId, issuedAt: actor.issuedAt },
    };
  } else if (actor.type === "endUser") {
    // End users of a workspace's own auth count per subject against that workspace's plan.
    const plan = workspace && isPlanId(workspace.plan) ? workspace.plan : "free";
    admission = {
      principal: credentialPrincipal(actor),
      plan,
      rules: planRules(plan),
    };
  } else {
    admission = {
      principal: `ip:${addressKey(ip ?? undefined)}:api`,
      plan: "free",
      rules: planRules("free"),
    };
  }
  // Keys and end users belong to their workspace; a user counts there only as a member, so nobody
  // can spend another workspace's allowance by addressing it.
  let workspaceId: string | undefined;
  if (actor.type === "apiKey" || actor.type === "endUser") workspaceId = actor.workspaceId;
  else if (actor.type === "user" && member) workspaceId = workspace?.id;
  const shared: Admission["shared"] = [];
  if (workspaceId) shared.push({ principal: `ws:${workspaceId}`, rules: workspaceRules(admission.plan) });
  for (const ancestor of key?.ancestorCaps ?? []) {
    shared.push({
      principal: `key:${ancestor.keyId}`,
      rules: [{ id: "key-month", limit: ancestor.monthlyCap, windowMs: CALENDAR_MONTH }],
    });
  }
  return { ...admission, shared };
}

export interface AdmissionOutcome {
  /** The principal's own answer: revocation, its limits, the headers of an admitted request. */
  result: CheckResult;
  /** The refusing answer (the principal's own or a shared counter's), if any. */
  refused?: CheckResult;
  /** Which principal refused: the request's own, or one of `shared`. */
  refusedBy?: string;
}

/**
 * The principal's own hop decides revocation and its limits. Only a request it admits is then
 * charged to the counters it shares, in parallel: a refused or revoked caller never spends anyone
 * else's allowance. Fails closed: a Gatekeeper that cannot answer throws 503.
 */
export async function admit(
  env: Parameters<typeof gate>[0],
  admission: Admission,
): Promise<AdmissionOutcome> {
  const result = await gate(env, admission.principal, {
    cost: 1,
    rules: admission.rules,
    ...(admission.credential ? { credential: admission.credential } : {}),
  });
  if (result.revoked) return { result };
  if (!result.allowed) return { result, refused: result, refusedBy: admission.principal };
  const shared = await Promise.all(
    admission.shared.map((s) => gate(env, s.principal, { cost: 1, rules: s.rules })),
  );
  const at = shared.findIndex((r) => !r.allowed);
  if (at < 0) return { result };
  return { result, refused: shared[at], refusedBy: admission.shared[at]?.principal };
}

/**
 * The workspace's counter (`ws:<id>`) among a request's shared principals, when a refusal it did
 * not decide should still show in the workspace's 429 count (its usage charts).
 */
export function workspaceToNotify(admission: Admission, refusedBy: string | undefined): string | undefined {
  const workspace = admission.shared.find((s) => s.principal.startsWith("ws:"))?.principal;
  return workspace !== undefined && refusedBy !== workspace ? workspace : undefined;
}

function keyCapRules(perMinute: number | null, monthlyCap: number | null): GateRule[] {
  const rules: GateRule[] = [];
  if (perMinute !== null) rules.push({ id: "key-minute", limit: perMinute, windowMs: MINUTE_MS });
  if (monthlyCap !== null) rules.push({ id: "key-month", limit: monthlyCap, windowMs: CALENDAR_MONTH });
  return rules;
}
