import type ipaddr from "ipaddr.js";
import { isLoopback, parseAddress } from "./address";

/**
 * The one outbound-URL policy (DESIGN §7) every fetch islet makes to a URL it was given goes
 * through: breached-password API, OIDC issuers, JWKS, and later webhooks and API accounts.
 * Today it decides from the URL alone: `https:` only, no credentials, no literal address that is
 * not public unicast. The SSRF guard adds what needs the network (every resolved address public,
 * redirects re-checked, size and time caps) on top of this same module.
 */
export interface OutboundPolicy {
  /** `ISLET_INSECURE_LOCAL=1` outside production: loopback targets, over plain HTTP too (tests). */
  insecureLocal: boolean;
}

export type OutboundVerdict = { ok: true; url: URL } | { ok: false; reason: string };

export const outboundPolicy = (config: { ISLET_INSECURE_LOCAL: boolean; ENVIRONMENT: string }) => ({
  insecureLocal: config.ISLET_INSECURE_LOCAL && config.ENVIRONMENT !== "production",
});

/** The host as an address or name: IPv6 brackets and DNS's root dot (`localhost.`) removed. */
const bare = (hostname: string) => hostname.replace(/^\[|\]$/g, "").replace(/\.+$/, "");

/** Whether the host is loopback by name or by literal address. */
function loopbackHost(hostname: string): boolean {
  const host = bare(hostname).toLowerCase();
  return host === "localhost" || host.endsWith(".localhost") || isLoopback(host);
}

/** A literal address that is not public unicast (private, link-local, CGNAT, metadata, …). */
function nonPublicLiteral(hostname: string): boolean {
  const address = parseAddress(bare(hostname));
  if (!address) return false;
  // IPv4-compatible (::a.b.c.d, deprecated by RFC 4291 §2.5.5.1): never a public target.
  if (address.kind() === "ipv6" && (address as ipaddr.IPv6).parts.slice(0, 6).every((part) => part === 0)) {
    return true;
  }
  return address.range() !== "unicast";
}

export function checkOutboundUrl(raw: string, policy: OutboundPolicy): OutboundVerdict {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "is not a URL" };
  }
  if (url.username || url.password) return { ok: false, reason: "must not carry credentials" };
  const loopback = loopbackHost(url.hostname);
  if (loopback && policy.insecureLocal && (url.protocol === "https:" || url.protocol === "http:")) {
    return { ok: true, url };
  }
  if (url.protocol !== "https:") return { ok: false, reason: "must use https" };
  if (loopback || nonPublicLiteral(url.hostname)) return { ok: false, reason: "must be a public address" };
  return { ok: true, url };
}
