import { randomBytes } from "../../lib/crypto";
import { base64ToBytes, bytesToBase64 } from "../../lib/encoding";

/** Standard Webhooks secrets: `whsec_` and base64 of the HMAC key (24 random bytes here). */
export const newWebhookSecret = () => `whsec_${bytesToBase64(randomBytes(24))}`;

/**
 * Standard Webhooks signature: `v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`, the key
 * being the base64-decoded part of the secret after `whsec_`. Several secrets (a rotation's
 * overlap) give space-separated signatures, any of which verifies.
 */
export async function signWebhook(
  secrets: string[],
  id: string,
  timestamp: number,
  body: string,
): Promise<string> {
  const content = new TextEncoder().encode(`${id}.${timestamp}.${body}`);
  const signatures = await Promise.all(
    secrets.map(async (secret) => {
      const key = await crypto.subtle.importKey(
        "raw",
        base64ToBytes(secret.replace(/^whsec_/, "")),
        { name: "HMAC", hash: "SHA-256" },
        false,
        ["sign"],
      );
      return `v1,${bytesToBase64(new Uint8Array(await crypto.subtle.sign("HMAC", key, content)))}`;
    }),
  );
  return signatures.join(" ");
}
