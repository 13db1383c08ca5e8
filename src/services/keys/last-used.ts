import { and, eq, isNull, lt, or } from "drizzle-orm";
import type { Config } from "../../config";
import { controlDb } from "../../db/control/client";
import { apiKeys } from "../../db/control/schema";
import type { Logger } from "../../lib/logger";

/** `last_used_at` is approximate by design: at most one write per key per isolate per window. */
export const LAST_USED_WINDOW_MS = 5 * 60_000;
const MAX_TRACKED = 10_000;

// Per-isolate memory of when this isolate last wrote each key's `last_used_at`.
const written = new Map<string, number>();

/**
 * Records that a key was used without a database write per request: skipped when the stored
 * value (read anyway during verification) or this isolate's last write is within the window;
 * otherwise one conditional UPDATE runs after the response (`waitUntil`).
 */
export function noteKeyUsed(
  config: Config,
  key: { keyId: string; lastUsedAt: number | null },
  waitUntil: (promise: Promise<unknown>) => void,
  logger?: Logger,
  now = Date.now(),
): boolean {
  const threshold = now - LAST_USED_WINDOW_MS;
  if (key.lastUsedAt !== null && key.lastUsedAt > threshold) return false;
  const last = written.get(key.keyId);
  if (last !== undefined && last > threshold) return false;
  if (written.size >= MAX_TRACKED) written.clear();
  written.set(key.keyId, now);
  waitUntil(
    controlDb(config)
      .update(apiKeys)
      .set({ lastUsedAt: now })
      // Conditional: other isolates racing for the same key write once between them.
      .where(
        and(eq(apiKeys.id, key.keyId), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, threshold))),
      )
      .then(
        () => undefined,
        (error: unknown) =>
          logger?.warn("last_used_at update failed", {
            error: error instanceof Error ? error.message : String(error),
          }),
      ),
  );
  return true;
}
