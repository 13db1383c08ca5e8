// Client addresses as per-address rules see them (DESIGN §4): an IPv4 address counts alone, an
// IPv6 caller by its /64 — one subscriber typically holds a whole /64, so keying by /128 would let
// a single host rotate through 2^64 addresses to escape any limit.
import ipaddr from "ipaddr.js";

/** The rate-limit key of a client address: `203.0.113.7`, `2001:db8:a:0::/64`, or `unknown`. */
export function addressKey(ip: string | null | undefined): string {
  if (!ip || !ipaddr.isValid(ip)) return "unknown";
  let parsed = ipaddr.parse(ip);
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  if (parsed.kind() === "ipv4") return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `${parts.join(":")}::/64`;
}

/** A caller on this machine (127.0.0.0/8, ::1, or IPv4-mapped loopback). */
export function isLoopback(ip: string | null | undefined): boolean {
  if (!ip || !ipaddr.isValid(ip)) return false;
  let parsed = ipaddr.parse(ip);
  if (parsed.kind() === "ipv6" && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed.range() === "loopback";
}
