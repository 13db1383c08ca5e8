/** A UNIQUE constraint violation, wherever the driver put it (drizzle wraps libSQL's error as `cause`). */
export function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    if (/UNIQUE constraint failed/i.test(e instanceof Error ? e.message : String(e))) return true;
    e = e instanceof Error ? e.cause : undefined;
  }
  return false;
}
