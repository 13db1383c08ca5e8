import type { Config } from "../../config";
import { sha256Hex, timingSafeEqual } from "../../lib/crypto";

/**
 * The operator a token belongs to, or null. `OPERATOR_TOKENS` holds only SHA-256 hashes; every
 * entry is compared in constant time, so the answer's timing reveals neither which operator
 * nor how much of a hash matched.
 */
export async function verifyOperatorToken(config: Config, token: string): Promise<string | null> {
  const presented = await sha256Hex(token);
  let found: string | null = null;
  for (const [operatorId, hash] of Object.entries(config.OPERATOR_TOKENS)) {
    if (timingSafeEqual(presented, hash) && found === null) found = operatorId;
  }
  return found;
}

export { requireOperator } from "../core/access";
