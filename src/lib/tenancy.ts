/** Where a workspace's database lives (architecture §10); the provisioner maps each to its location. */
export const REGIONS = ["us-east", "us-west", "eu-west", "ap-south"] as const;
export type Region = (typeof REGIONS)[number];
export const DEFAULT_REGION: Region = "us-east";

/** Workspace roles, strongest first (architecture §3: owner > admin > member > viewer). */
export const ROLES = ["owner", "admin", "member", "viewer"] as const;
export type Role = (typeof ROLES)[number];
/** An invitation never carries `owner`: ownership goes to someone already in the workspace. */
export const INVITABLE_ROLES = ["admin", "member", "viewer"] as const;
/** What a workspace's end users (issuer tokens) may be. */
export const END_USER_ROLES = ["member", "viewer"] as const;

/**
 * The roles a member holding `actor` may hand out (by role change, or by invitation when
 * `invitation`): only an owner grants `owner` or `admin`, admins grant `member` or `viewer`, and
 * an invitation never carries `owner`. See services/members/roles.ts for the whole rule.
 */
export function grantableRoles(actor: Role, opts: { invitation?: boolean } = {}): Role[] {
  if (actor !== "owner" && actor !== "admin") return [];
  const all: Role[] = actor === "owner" ? ["owner", "admin", "member", "viewer"] : ["member", "viewer"];
  return opts.invitation ? all.filter((r) => r !== "owner") : all;
}
