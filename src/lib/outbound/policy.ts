import ipaddr from "ipaddr.js";
import { isLoopback, parseAddress } from "../address";

/**
 * The one outbound policy (architecture §7): every fetch islet makes to a URL it was given (issuer
 * JWKS, OIDC discovery, and webhooks and API accounts as they come) goes through `guardedFetch`
 * (./fetch.ts), which applies this to the URL, to every address its name resolves to, and to
 * every redirect.
 */
export interface OutboundPolicy {
  /** `ISLET_INSECURE_LOCAL=1` outside production: loopback targets, over plain HTTP too (tests). */
  insecureLocal: boolean;
  /** The DNS-over-HTTPS resolver names are checked with (JSON API, `application/dns-json`). */
  resolverUrl?: string;
}

export const outboundPolicy = (config: {
  ISLET_INSECURE_LOCAL: boolean;
  ENVIRONMENT: string;
  DOH_RESOLVER_URL?: string;
}): OutboundPolicy => ({
  insecureLocal: config.ISLET_INSECURE_LOCAL && config.ENVIRONMENT !== "production",
  ...(config.DOH_RESOLVER_URL ? { resolverUrl: config.DOH_RESOLVER_URL } : {}),
});

export type OutboundVerdict = { ok: true; url: URL } | { ok: false; reason: string };

/** The host as an address or name: IPv6 brackets and DNS's root dot (`localhost.`) removed. */
export const bare = (hostname: string) => hostname.replace(/^\[|\]$/g, "").replace(/\.+$/, "");

/** Whether the host is loopback by name or by literal address. */
function loopbackHost(hostname: string): boolean {
  const host = bare(hostname).toLowerCase();
  return host === "localhost" || host.endsWith(".localhost") || isLoopback(host);
}

/**
 * Whether an address is a public unicast target. Everything else is refused: loopback, private,
 * link-local (cloud metadata at 169.254.169.254), unique-local, CGNAT, multicast, broadcast,
 * reserved and documentation ranges, 0.0.0.0/8, and the IPv6 forms that carry an IPv4 address
 * somewhere else (IPv4-mapped, NAT64 64:ff9b::/96 and /48, 6to4, Teredo). ipaddr.js names every
 * special-purpose range; only "unicast" is left.
 */
export function isPublicAddress(literal: string): boolean {
  // Parsed as written: an IPv4-mapped address (::ffff:a.b.c.d) is refused as such, whatever it maps.
  if (!ipaddr.isValid(literal)) return false;
  const address = ipaddr.parse(literal);
  // IPv4-compatible (::a.b.c.d, deprecated by RFC 4291 §2.5.5.1): never a public target.
  if (address.kind() === "ipv6" && (address as ipaddr.IPv6).parts.slice(0, 6).every((part) => part === 0)) {
    return false;
  }
  return address.range() === "unicast";
}

/** A literal address that is not public unicast. */
const nonPublicLiteral = (hostname: string) =>
  parseAddress(bare(hostname)) !== null && !isPublicAddress(bare(hostname));

/**
 * Names that only mean something inside a network: single labels (`metadata`, `intranet`),
 * `*.internal` (GCP's metadata.google.internal, AWS's instance-data.ec2.internal), mDNS
 * `*.local`, `*.localhost` (RFC 6761), `home.arpa` (RFC 8375) and the reverse zones.
 */
const INTERNAL_SUFFIXES = [
  ".internal",
  ".local",
  ".localhost",
  ".localdomain",
  ".home.arpa",
  ".arpa",
  ".lan",
];

export function internalName(hostname: string): boolean {
  const host = bare(hostname).toLowerCase();
  if (parseAddress(host)) return false;
  return !host.includes(".") || INTERNAL_SUFFIXES.some((suffix) => `.${host}`.endsWith(suffix));
}

/** Whether `address` is allowed as a resolved target under `policy`. */
export const allowedAddress = (address: string, policy: OutboundPolicy) =>
  isPublicAddress(address) || (policy.insecureLocal && isLoopback(address));

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
  if (loopback || nonPublicLiteral(url.hostname) || internalName(url.hostname)) {
    return { ok: false, reason: "must be a public address" };
  }
  return { ok: true, url };
}
