import { randomBytes } from "./crypto";

// Crockford base32 (no I, L, O, U): ids stay readable and safe in URLs and namespaces.
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** A random id with a type prefix, e.g. `ws_3k9x…` (80 random bits after a 48-bit time part). */
export function newId(prefix: string): string {
  const time = Date.now();
  let out = "";
  for (let shift = 45; shift >= 0; shift -= 5) out += ALPHABET[Math.floor(time / 2 ** shift) % 32];
  for (const byte of randomBytes(16)) out += ALPHABET[byte % 32];
  return `${prefix}_${out}`;
}

export const newRequestId = () => newId("req");

/**
 * An id of the same shape as `newId`'s derived from `parts` (SHA-256): the same parts always give
 * the same id, so a step repeated after a crash names the same record again.
 */
export async function derivedId(prefix: string, ...parts: string[]): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(parts.join("\u0000"))),
  );
  let out = "";
  for (const byte of digest.subarray(0, 26)) out += ALPHABET[byte % 32];
  return `${prefix}_${out}`;
}

/** The shapes of islet's ids on the wire: routes and verbs check them, never a hand regex. */
export const ID_FORMATS = {
  workspace: /^ws_[0-9a-z]{26}$/,
  user: /^usr_[0-9a-z]{26}$/,
  session: /^ses_[0-9a-z]{26}$/,
  invitation: /^inv_[0-9a-z]{26}$/,
  issuer: /^iss_[0-9a-z]{26}$/,
  /** API key ids carry no prefix: they sit inside `isk_<keyId>_<secret>`. */
  key: /^[0-9a-z]{20,40}$/,
} as const;
