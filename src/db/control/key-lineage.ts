import { eq } from "drizzle-orm";
import type { Config } from "../../config";
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

/**
 * The newest key of a rotation chain (`rotated_to` followed to its end), in one statement however
 * often the key was rotated: a key is rotated once at most, so the chain has no cycle; the depth
 * bound only stops a corrupted one.
 */
export async function newestRotation(config: Config, keyId: string): Promise<string> {
  const result = await controlDb(config).$client.execute({
    sql: `WITH RECURSIVE chain(id, next, depth) AS (
            SELECT id, rotated_to, 0 FROM api_keys WHERE id = ?
            UNION ALL
            SELECT k.id, k.rotated_to, c.depth + 1 FROM api_keys k JOIN chain c ON k.id = c.next
            WHERE c.depth < 100000
          )
          SELECT id FROM chain ORDER BY depth DESC LIMIT 1`,
    args: [keyId],
  });
  const newest = result.rows[0]?.id;
  return typeof newest === "string" ? newest : keyId;
}
