import { bytesToHex } from "../../lib/encoding";
import type { ServiceContext } from "../core/context";
import { outboundAllowed } from "./outbound";

/** How long signup waits for the range API before letting the password through (logged). */
export const BREACH_CHECK_TIMEOUT_MS = 1_500;

export type BreachResult = "breached" | "not_found" | "unavailable";

/**
 * Have I Been Pwned's range API with k-anonymity (haveibeenpwned.com/API/v3#SearchingPwnedPasswordsByRange):
 * only the first 5 hex characters of the password's SHA-1 leave the Worker; the answer lists
 * `SUFFIX:COUNT` lines for every hash with that prefix and is compared here. `Add-Padding`
 * asks for decoy lines (count 0) so the response size does not hint at the prefix either.
 * An unreachable or slow API lets the password through and is logged: availability of a
 * third party must not block signup.
 */
export async function checkBreached(ctx: ServiceContext, password: string): Promise<BreachResult> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(password)));
  const sha1 = bytesToHex(digest).toUpperCase();
  const prefix = sha1.slice(0, 5);
  const suffix = sha1.slice(5);
  const base = ctx.config.PWNED_API_URL.replace(/\/+$/, "");
  if (!outboundAllowed(ctx.config, base)) {
    ctx.logger.error("breached-password check skipped: PWNED_API_URL must be https://");
    return "unavailable";
  }
  try {
    const res = await fetch(`${base}/range/${prefix}`, {
      headers: { "Add-Padding": "true", "User-Agent": "islet" },
      signal: AbortSignal.timeout(BREACH_CHECK_TIMEOUT_MS),
    });
    if (!res.ok) {
      await res.body?.cancel();
      ctx.logger.warn("breached-password check unavailable; password allowed", { status: res.status });
      return "unavailable";
    }
    const body = await res.text();
    for (const line of body.split("\n")) {
      const [candidate, count] = line.trim().split(":");
      if (candidate?.toUpperCase() === suffix && Number(count) > 0) return "breached";
    }
    return "not_found";
  } catch (error) {
    ctx.logger.warn("breached-password check unavailable; password allowed", {
      reason: error instanceof Error && error.name === "TimeoutError" ? "timeout" : "unreachable",
    });
    return "unavailable";
  }
}
