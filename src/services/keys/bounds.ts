import { ApiError } from "../../lib/errors";
import { type Scope, scopesForRole } from "../../lib/scopes";
import type { Role } from "../../lib/tenancy";

/** Everything that limits what a key can do; a new key's bounds must fit inside its minter's. */
export interface KeyBounds {
  scopes: readonly string[];
  /** Table allowlist; null means every table. */
  tables: readonly string[] | null;
  perMinute: number | null;
  monthlyCap: number | null;
  /** Epoch ms; null means the key does not expire. */
  expiresAt: number | null;
}

/** A key never holds a scope its creator's role could not (architecture §3). */
export function assertWithinRole(scopes: readonly string[], role: Role): void {
  const allowed: readonly string[] = scopesForRole(role);
  const beyond = scopes.filter((s) => !allowed.includes(s));
  if (beyond.length > 0) {
    throw new ApiError("forbidden", `The ${role} role cannot grant these scopes`, {
      details: { field: "scopes", notAllowed: beyond },
    });
  }
}

/** `null` is "unlimited": a limited parent never yields an unlimited child. */
const fitsCap = (child: number | null, parent: number | null) =>
  parent === null || (child !== null && child <= parent);

/**
 * A key cannot mint (or rotate, or revoke) a key wider than itself: scopes ⊆ its scopes,
 * tables ⊆ its tables, caps ≤ its caps, expiry ≤ its expiry.
 */
export function assertWithinKey(child: KeyBounds, parent: KeyBounds): void {
  const extraScopes = child.scopes.filter((s) => !parent.scopes.includes(s));
  if (extraScopes.length > 0) {
    throw new ApiError("insufficient_scope", "A key cannot grant scopes it does not hold", {
      details: { field: "scopes", notAllowed: extraScopes },
    });
  }
  const wider = (field: string) =>
    new ApiError("forbidden", `A key cannot mint a key wider than itself (${field})`, { details: { field } });
  if (parent.tables !== null) {
    if (child.tables === null || child.tables.some((t) => !parent.tables?.includes(t))) throw wider("tables");
  }
  if (!fitsCap(child.perMinute, parent.perMinute)) throw wider("perMinute");
  if (!fitsCap(child.monthlyCap, parent.monthlyCap)) throw wider("monthlyCap");
  if (!fitsCap(child.expiresAt, parent.expiresAt)) throw wider("expiresAt");
}

/** Fields a key-minted key leaves out are inherited from the minting key, never unlimited. */
export function inheritBounds(
  requested: { scopes: Scope[] } & Partial<Omit<KeyBounds, "scopes">>,
  parent: KeyBounds | null,
): KeyBounds {
  return {
    scopes: [...new Set(requested.scopes)],
    tables: requested.tables === undefined ? (parent?.tables ?? null) : requested.tables,
    perMinute: requested.perMinute === undefined ? (parent?.perMinute ?? null) : requested.perMinute,
    monthlyCap: requested.monthlyCap === undefined ? (parent?.monthlyCap ?? null) : requested.monthlyCap,
    expiresAt: requested.expiresAt === undefined ? (parent?.expiresAt ?? null) : requested.expiresAt,
  };
}
