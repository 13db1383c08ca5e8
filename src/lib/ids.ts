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
