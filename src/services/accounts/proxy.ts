import { ApiError } from "../../lib/errors";

/**
 * The path and headers a caller may send through an API account (architecture §7): the host never
 * changes, and the injected credential can be neither set, overridden nor smuggled past.
 */

/** Percent-encoded `.`, `/`, `\` and NUL: decoded by some servers after the check, so never accepted. */
const ENCODED_TRICK = /%(2e|2f|5c|00)/i;

/** Joins `path` below the account's base URL, or refuses it. */
export function joinAccountPath(baseUrl: string, path: string, query?: Record<string, string>): URL {
  const refuse = (why: string) =>
    new ApiError("invalid_request", `path ${why}`, { details: { field: "path" } });
  if (!path.startsWith("/") || path.startsWith("//")) throw refuse("must start with a single /");
  if (/[\\\s?#]|\p{Cc}/u.test(path)) throw refuse("must not contain \\, spaces, control characters, ? or #");
  if (ENCODED_TRICK.test(path)) throw refuse("must not encode ., / or \\");
  if (path.split("/").some((segment) => segment === "." || segment === "..")) {
    throw refuse("must not contain . or .. segments");
  }
  const base = new URL(baseUrl);
  const prefix = base.pathname.replace(/\/+$/, "");
  const target = new URL(`${base.origin}${prefix}${path}`);
  // Belt and braces: whatever the parser made of it, it is still below the base.
  if (
    target.origin !== base.origin ||
    !(target.pathname === prefix || target.pathname.startsWith(`${prefix}/`))
  ) {
    throw refuse("must stay below the account's base URL");
  }
  for (const [name, value] of Object.entries(query ?? {})) target.searchParams.append(name, value);
  return target;
}

/** RFC 9110 §7.6.1 hop-by-hop headers and those the platform sets itself. */
const RESERVED = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
  "authorization",
  "cookie",
  "forwarded",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-real-ip",
]);

/** The caller's headers with the account's credential injected; any attempt at it is refused. */
export function accountHeaders(
  caller: Record<string, string> | undefined,
  auth: { name: string; value: string },
): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(caller ?? {})) {
    const lower = name.toLowerCase();
    if (lower === auth.name.toLowerCase() || RESERVED.has(lower) || lower.startsWith("cf-")) {
      throw new ApiError("invalid_request", `header ${name} is set by islet, not by callers`, {
        details: { field: "headers", header: name },
      });
    }
    headers.set(name, value);
  }
  headers.set(auth.name, auth.value);
  return headers;
}

/**
 * The upstream's response headers a caller may see: an allowlist of what describes the answer
 * (type, caching, paging, limits, a redirect's target), never cookies, hop-by-hop headers or
 * anything an upstream might echo a credential in. Values are scrubbed by the caller as well.
 */
const RETURNED = new Set([
  "cache-control",
  "content-disposition",
  "content-language",
  "content-type",
  "date",
  "etag",
  "expires",
  "last-modified",
  "link",
  "location",
  "ratelimit",
  "ratelimit-limit",
  "ratelimit-policy",
  "ratelimit-remaining",
  "ratelimit-reset",
  "request-id",
  "retry-after",
  "vary",
  "x-ratelimit-limit",
  "x-ratelimit-remaining",
  "x-ratelimit-reset",
  "x-request-id",
]);

export function returnedHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    const lower = name.toLowerCase();
    if (RETURNED.has(lower)) out[lower] = value;
  });
  return out;
}
