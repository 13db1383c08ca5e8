// How to report a vulnerability, as RFC 9116 says to publish it: /.well-known/security.txt, built
// from this deployment's configuration (its own origin, its own contacts), never one domain's.
import type { Config } from "../../config";

/** RFC 9116 §2.5.5: a security.txt should go stale within a year, so readers re-check it. */
const MAX_AGE_MS = 365 * 86_400_000;
/** Without a configured date: half a year from the answer, on a day boundary. */
const DEFAULT_AGE_MS = 180 * 86_400_000;
const DAY_MS = 86_400_000;

/** Where reports go: the configured contacts, or security@ the deployment's own host. */
export function securityContacts(config: Config): string[] {
  if (config.SECURITY_CONTACT.length > 0) return config.SECURITY_CONTACT;
  return [`mailto:security@${new URL(config.PUBLIC_URL).hostname}`];
}

function expiry(config: Config, now: number): Date {
  const configured = config.SECURITY_TXT_EXPIRES ? Date.parse(config.SECURITY_TXT_EXPIRES) : Number.NaN;
  if (Number.isFinite(configured)) return new Date(Math.min(configured, now + MAX_AGE_MS));
  return new Date(Math.floor((now + DEFAULT_AGE_MS) / DAY_MS) * DAY_MS);
}

/** The security.txt of this deployment (RFC 9116 §2.5: one field per line, CRLF or LF). */
export function securityTxt(config: Config, now = Date.now()): string {
  const origin = new URL(config.PUBLIC_URL).origin;
  return [
    "# How to report a vulnerability in islet privately (RFC 9116).",
    ...securityContacts(config).map((contact) => `Contact: ${contact}`),
    `Expires: ${expiry(config, now).toISOString()}`,
    `Preferred-Languages: en`,
    `Canonical: ${origin}/.well-known/security.txt`,
    `Policy: ${config.SECURITY_POLICY_URL ?? `${origin}/security`}`,
    "",
  ].join("\n");
}
