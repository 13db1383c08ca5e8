import type { Role } from "./tenancy";

/**
 * The closed list of API key scopes (architecture §3). Each names the least role that may hold it: a
 * key never carries more than its creator's role allows.
 */
export const SCOPES = {
  "data:read": "viewer",
  "data:write": "member",
  "schema:write": "member",
  "functions:run": "member",
  "functions:write": "member",
  "secrets:write": "admin",
  "keys:manage": "admin",
  "audit:read": "admin",
} as const satisfies Record<string, Role>;

export type Scope = keyof typeof SCOPES;
export const SCOPE_NAMES = Object.keys(SCOPES) as Scope[];
export const isScope = (value: string): value is Scope => Object.hasOwn(SCOPES, value);

const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

/** `owner > admin > member > viewer`. */
export const roleAtLeast = (role: Role, needed: Role) => RANK[role] >= RANK[needed];

/** The scopes a role may grant to a key it creates. */
export const scopesForRole = (role: Role): Scope[] => SCOPE_NAMES.filter((s) => roleAtLeast(role, SCOPES[s]));
