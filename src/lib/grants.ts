import { z } from "zod";

/** User table names a credential may be confined to; `_islet_` system tables are never grantable. */
export const grantableTableName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, "must be a table name")
  .refine((t) => !t.toLowerCase().startsWith("_islet_"), "system tables cannot be granted");

/** A table allowlist for a key or an issuer: null (or absent) is every table. */
export const tableAllowlist = z.array(grantableTableName).min(1).max(100).nullable().optional();
