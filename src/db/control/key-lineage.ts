import { eq } from "drizzle-orm";
import type { Config } from "../../env";
import { controlDb } from "./client";
import { apiKeys } from "./schema";

/** Keys mint keys a few levels deep at most; walks up the tree stop here. */
export const MAX_KEY_DEPTH = 16;

export interface KeyAncestor {
  id: string;
  parentId: string | null;
  monthlyCap: number | null;
  revokedAt: number | null;
}

/**
 * A key and every key above it (the key that minted it, and so on up), nearest first; bounded.
 * Read by key verification and by every check of a key's standing (a webhook it registered).
 */
export async function keyAncestry(config: Config, keyId: string): Promise<KeyAncestor[]> {
  const db = controlDb(config);
  const chain: KeyAncestor[] = [];
  for (let id: string | null = keyId; id !== null && chain.length <= MAX_KEY_DEPTH; ) {
    const [row] = await db
      .select({
        id: apiKeys.id,
        parentId: apiKeys.parentId,
        monthlyCap: apiKeys.monthlyCap,
        revokedAt: apiKeys.revokedAt,
      })
      .from(apiKeys)
      .where(eq(apiKeys.id, id));
    if (!row) break;
    chain.push(row);
    id = row.parentId;
  }
  return chain;
}
