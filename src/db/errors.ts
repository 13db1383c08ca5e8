/**
 * The one reader of SQLite constraint errors. libSQL reports them only as message text, and
 * drizzle wraps the driver's error as `cause`, so the chain is walked and the message read:
 * - `unique`: a UNIQUE or PRIMARY KEY constraint (`UNIQUE constraint failed: t.col`);
 * - `value`: a NOT NULL or CHECK constraint refused a value;
 * - `exists`: CREATE of a table or index whose name is taken (tables and indexes share a namespace).
 */
export interface SqliteConstraint {
  kind: "unique" | "value" | "exists";
  /** `t` of `t.col`, when SQLite names it. */
  table?: string;
  /** `col` of `t.col`, when SQLite names it. */
  column?: string;
  /** For `exists`: the name already taken. */
  name?: string;
}

/**
 * The driver's own error in a chain: drizzle wraps it (its message quotes the query's parameters,
 * which are user text, so it is never read). libSQL's errors carry an `SQLITE_*` code.
 */
function driverError(error: unknown): unknown {
  let innermost: unknown = error;
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("SQLITE_")) return e;
    innermost = e;
    e = e instanceof Error ? e.cause : undefined;
  }
  return innermost;
}

export function sqliteConstraint(error: unknown): SqliteConstraint | undefined {
  const driver = driverError(error);
  const text = driver instanceof Error ? driver.message : String(driver);
  const named = /constraint failed: ([A-Za-z0-9_:.]+?)\.([A-Za-z0-9_]+)/i.exec(text);
  const where = named ? { table: named[1], column: named[2] } : {};
  if (/UNIQUE constraint failed|PRIMARY KEY constraint failed/i.test(text))
    return { kind: "unique", ...where };
  if (/NOT NULL constraint failed|CHECK constraint failed/i.test(text)) return { kind: "value", ...where };
  const taken =
    /(?:table|index) "?([^"\s]+)"? already exists/i.exec(text)?.[1] ??
    /there is already an? (?:table|index) named "?([^"\s]+)/i.exec(text)?.[1];
  if (taken) return { kind: "exists", name: taken };
  return undefined;
}
