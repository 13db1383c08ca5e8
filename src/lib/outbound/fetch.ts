import { parseAddress } from "../address";
import { readAtMost } from "../streams";
import { allowedAddress, bare, checkOutboundUrl, type OutboundPolicy } from "./policy";
import { resolveAddresses } from "./resolve";

/** A refusal by the outbound policy: `rule` says which, never the address a name resolved to. */
export class OutboundRefused extends Error {
  constructor(readonly rule: string) {
    super(`The URL ${rule}`);
    this.name = "OutboundRefused";
  }
}

export const MAX_REDIRECTS = 3;
export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_BYTES = 1024 * 1024;

/**
 * Checks a URL and, for a name, every address it resolves to. Returns the URL to fetch. Done when
 * a URL is registered and again at every dispatch and redirect hop: a name that rebinds to a
 * private address between two checks is refused at the next one.
 */
export async function checkOutboundTarget(
  raw: string,
  policy: OutboundPolicy,
  signal: AbortSignal = AbortSignal.timeout(DEFAULT_TIMEOUT_MS),
): Promise<URL> {
  const verdict = checkOutboundUrl(raw, policy);
  if (!verdict.ok) throw new OutboundRefused(verdict.reason);
  const host = bare(verdict.url.hostname);
  // A literal address was judged by checkOutboundUrl; loopback names only pass in insecure-local.
  if (parseAddress(host) || (policy.insecureLocal && (host === "localhost" || host.endsWith(".localhost")))) {
    return verdict.url;
  }
  if (!policy.resolverUrl) throw new OutboundRefused("cannot be checked: no DNS resolver is configured");
  const resolved = await resolveAddresses(policy.resolverUrl, host, signal);
  if (!resolved.ok) throw new OutboundRefused(resolved.reason);
  if (!resolved.addresses.every((address) => allowedAddress(address, policy))) {
    throw new OutboundRefused("resolves to an address that is not public");
  }
  return verdict.url;
}

export interface GuardedInit extends Omit<RequestInit, "redirect" | "signal"> {
  /** The whole exchange, redirects and body included (default 10 s). */
  timeoutMs?: number;
  /** Largest response body read (default 1 MiB); more is a refusal. */
  maxBytes?: number;
  /**
   * Headers that carry a credential besides `Authorization`, `Cookie` and `Proxy-Authorization`
   * (an API account's own header, a webhook's signature). See `secretBody`.
   */
  credentialHeaders?: readonly string[];
  /**
   * The body carries a secret (an OAuth client secret). A request carrying one, or any credential
   * header, never follows a redirect to another origin: the 3xx itself is the answer.
   */
  secretBody?: boolean;
}

/** Headers that carry a credential whoever sends them (the fetch standard strips the first on a cross-origin redirect). */
const CREDENTIAL_HEADERS = ["authorization", "cookie", "proxy-authorization"];

/** The origin a Location names, or null when it names none (a redirect that is then answered as it is). */
function originOf(location: string, base: URL): string | null {
  try {
    return new URL(location, base).origin;
  } catch {
    return null;
  }
}

/** Whether a request carries a secret that must not leave its first origin. */
function carriesSecret(init: GuardedInit): boolean {
  if (init.secretBody) return true;
  const headers = new Headers(init.headers);
  return [...CREDENTIAL_HEADERS, ...(init.credentialHeaders ?? [])].some((name) => headers.has(name));
}

/** Reads at most `max` bytes of a body; beyond that the stream is cancelled and the fetch refused. */
async function capped(res: Response, max: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get("Content-Length") ?? Number.NaN);
  if (declared > max) {
    await res.body?.cancel();
    throw new OutboundRefused(`answered with more than ${max} bytes`);
  }
  if (!res.body) return new Uint8Array();
  return readAtMost(res.body, max, () => new OutboundRefused(`answered with more than ${max} bytes`));
}

/**
 * The one way islet fetches a URL it was given (architecture §7): the target and every resolved address
 * checked, redirects followed by hand (at most 3, each hop checked again), one deadline for the
 * whole exchange and a cap on the body. Answers a buffered Response, usable where a `fetch` is
 * expected (jose's remote JWKS takes one). A request that carries a secret follows redirects only
 * within its first origin: a redirect elsewhere is answered as it is (architecture §3: no secret attached
 * by islet leaves for an origin other than its own), whatever the headers' case or the method.
 */
export async function guardedFetch(
  raw: string | URL,
  init: GuardedInit,
  policy: OutboundPolicy,
): Promise<Response> {
  const {
    timeoutMs = DEFAULT_TIMEOUT_MS,
    maxBytes = DEFAULT_MAX_BYTES,
    credentialHeaders: _,
    secretBody: __,
    ...request
  } = init;
  const signal = AbortSignal.timeout(timeoutMs);
  const secret = carriesSecret(init);
  let origin: string | undefined;
  let url = String(raw);
  let method = (request.method ?? "GET").toUpperCase();
  let body = request.body;
  for (let hop = 0; ; hop++) {
    const target = await checkOutboundTarget(url, policy, signal);
    origin ??= target.origin;
    const res = await fetch(target, { ...request, method, body, redirect: "manual", signal });
    const location = res.status >= 300 && res.status < 400 ? res.headers.get("Location") : null;
    // A Location that does not parse is not followed: the 3xx is the answer.
    const next = location === null ? null : originOf(location, target);
    if (location !== null && next !== null && !(secret && next !== origin)) {
      await res.body?.cancel();
      if (hop >= MAX_REDIRECTS) throw new OutboundRefused(`redirects more than ${MAX_REDIRECTS} times`);
      url = new URL(location, target).toString();
      // RFC 9110 §15.4: 303 (and, as browsers do, 301/302 after a POST) continue as GET without a body.
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
        method = "GET";
        body = undefined;
      }
      continue;
    }
    const bytes = await capped(res, maxBytes);
    const empty = [204, 205, 304].includes(res.status);
    return new Response(empty ? null : bytes, {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
  }
}
