import type { Config } from "../../env";

/**
 * Outbound calls of the auth service (breached-password API, OIDC issuers): `https:` only,
 * except plain HTTP to anywhere when `ISLET_INSECURE_LOCAL` is set outside production (tests
 * talk to local stand-ins). The SSRF guard of DESIGN §7 (resolved-address checks, manual
 * redirects) is to replace this once it exists.
 */
export function outboundAllowed(config: Config, url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.username || parsed.password) return false;
  if (parsed.protocol === "https:") return true;
  return parsed.protocol === "http:" && config.ISLET_INSECURE_LOCAL && config.ENVIRONMENT !== "production";
}
