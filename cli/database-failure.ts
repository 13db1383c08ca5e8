// What an operator reads when a database cannot be reached or refuses a query: a sentence naming
// the address and what to do, never drizzle's "Failed query: select …" with the SQL in it.

/** The error and the errors it wraps (`cause`), outermost first; bounded against cycles. */
function chain(error: unknown): unknown[] {
  const errors: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && errors.length < 8 && !errors.includes(current)) {
    errors.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return errors;
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
]);

/** `connect ECONNREFUSED 127.0.0.1:8880` → the address, when the error names one. */
function address(errors: unknown[]): string | undefined {
  for (const e of errors) {
    const found =
      e instanceof Error ? /\b(?:ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH) (\S+)/.exec(e.message) : null;
    if (found?.[1]) return found[1];
    const host = (e as { hostname?: unknown }).hostname;
    if (typeof host === "string") return host;
  }
  return undefined;
}

/** A connection that failed (refused, no such host, timed out): `cannot reach <address>`, else undefined. */
export function unreachable(error: unknown, what = "the database"): string | undefined {
  const errors = chain(error);
  const network = errors.some(
    (e) =>
      (typeof (e as { code?: unknown }).code === "string" &&
        NETWORK_CODES.has((e as { code: string }).code)) ||
      (e instanceof TypeError && e.message === "fetch failed"),
  );
  if (!network) return undefined;
  const where = address(errors);
  return `cannot reach ${what}${where ? ` at ${where}` : ""}`;
}

/** A database that did not answer or refused a query, as a sentence; undefined for other errors. */
export function describeDatabaseFailure(error: unknown): string | undefined {
  const errors = chain(error);
  const down = unreachable(error);
  if (down)
    return `${down}: is the stack running (npm start), and does CONTROL_DB_URL in the env file point at it?`;
  // drizzle wraps a refused statement as "Failed query: <sql>\nparams: …": say what the database said.
  const query = errors.find((e) => e instanceof Error && e.message.startsWith("Failed query:"));
  if (query) {
    const reason = errors.slice(errors.indexOf(query) + 1).find((e) => e instanceof Error) as
      | Error
      | undefined;
    return `the database refused a query: ${reason?.message.split("\n")[0] ?? "no reason given"} (are the control migrations applied? npm run islet -- migrate)`;
  }
  return undefined;
}
