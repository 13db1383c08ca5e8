// Client addresses as per-address rules see them (architecture §4): an IPv4 address counts alone, an
// IPv6 caller by its /64 — one subscriber typically holds a whole /64, so keying by /128 would let
// a single host rotate through 2^64 addresses to escape any limit.
import ipaddr from "ipaddr.js";

/** An address literal, with IPv4-mapped IPv6 (`::ffff:a.b.c.d`) read as the IPv4 it carries. */
export function parseAddress(ip: string | null | undefined): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (!ip || !ipaddr.isValid(ip)) return null;
  const parsed = ipaddr.parse(ip);
  return parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()
    ? (parsed as ipaddr.IPv6).toIPv4Address()
    : parsed;
}

/** The rate-limit key of a client address: `203.0.113.7`, `2001:db8:a:0::/64`, or `unknown`. */
export function addressKey(ip: string | null | undefined): string {
  const parsed = parseAddress(ip);
  if (!parsed) return "unknown";
  if (parsed.kind() === "ipv4") return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `${parts.join(":")}::/64`;
}

/** A caller on this machine (127.0.0.0/8, ::1, or IPv4-mapped loopback). */
export function isLoopback(ip: string | null | undefined): boolean {
  return parseAddress(ip)?.range() === "loopback";
}
