import type { Config } from "../../config";
import { checkOutboundUrl, outboundPolicy } from "../../lib/outbound";

/** Outbound calls of the auth service (breached-password API, OIDC issuers): src/lib/outbound.ts. */
export const outboundAllowed = (config: Config, url: string): boolean =>
  checkOutboundUrl(url, outboundPolicy(config)).ok;
