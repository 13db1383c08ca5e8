import { base64ToBytes, base64UrlToBytes, bytesToBase64Url, bytesToHex, utf8 } from "./encoding";

/** `ISLET_KEYRING` as the config parses it: versioned 256-bit keys (base64) and the active version. */
export interface KeyringConfig {
  active: number;
  keys: Record<string, string>;
  /** Written by the dev-secrets generator; production refuses a keyring that carries it. */
  env?: string | undefined;
}

/** `count` random bytes from the platform CSPRNG. */
export function randomBytes(count: number): Uint8Array {
  const bytes = new Uint8Array(count);
  crypto.getRandomValues(bytes);
  return bytes;
}

/** A 256-bit random token, hex encoded (verification, reset, invitation tokens). */
export const randomToken = (bytes = 32) => bytesToHex(randomBytes(bytes));

export async function sha256Hex(input: string | Uint8Array): Promise<string> {
  const data = typeof input === "string" ? utf8(input) : input;
  return bytesToHex(new Uint8Array(await crypto.subtle.digest("SHA-256", data)));
}

/** Constant-time comparison of two strings (equal length is not leaked beyond the length). */
export function timingSafeEqual(a: string, b: string): boolean {
  const left = utf8(a);
  const right = utf8(b);
  if (left.byteLength !== right.byteLength) return false;
  return crypto.subtle.timingSafeEqual(left, right);
}

/**
 * Envelope for secrets at rest (architecture §6): AES-256-GCM, 96-bit random IV, versioned keys from
 * the `ISLET_KEYRING` Worker secret, and additional data binding the ciphertext to the record it
 * belongs to — a ciphertext copied to another row, kind or tenant fails to decrypt.
 */
/**
 * The binding kinds of sealed records. Which columns hold them each owning domain says in its entry
 * of the inventory (src/services/inventory), which the keyring and the tenant scan read.
 */
export const SECRET_KINDS = [
  "db_token",
  "issuer_secret",
  "function_secret",
  "api_account",
  "webhook_secret",
] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];

/** The additional data of a record's envelope: its workspace, kind and id. */
export const secretBinding = (kind: SecretKind, workspaceId: string, recordId: string): SecretBinding => ({
  workspaceId,
  kind,
  recordId,
});

export interface SecretBinding {
  workspaceId: string;
  kind: string;
  recordId: string;
}

export interface Keyring {
  active: number;
  keys: Map<number, CryptoKey>;
}

const keyrings = new WeakMap<KeyringConfig, Promise<Keyring>>();

export function importKeyring(config: KeyringConfig): Promise<Keyring> {
  let pending = keyrings.get(config);
  if (!pending) {
    pending = (async () => {
      const keys = new Map<number, CryptoKey>();
      for (const [version, material] of Object.entries(config.keys)) {
        const raw = base64ToBytes(material);
        if (raw.byteLength !== 32) throw new Error(`keyring key ${version} is not 256 bits`);
        keys.set(
          Number(version),
          await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]),
        );
      }
      return { active: config.active, keys };
    })();
    keyrings.set(config, pending);
  }
  return pending;
}

const additionalData = (b: SecretBinding) => utf8(`islet/v1|${b.workspaceId}|${b.kind}|${b.recordId}`);

export async function encryptSecret(
  keyring: Keyring,
  plaintext: string,
  binding: SecretBinding,
): Promise<string> {
  const key = keyring.keys.get(keyring.active);
  if (!key) throw new Error("active keyring version missing");
  const iv = randomBytes(12);
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: additionalData(binding) },
    key,
    utf8(plaintext),
  );
  return `v${keyring.active}.${bytesToBase64Url(iv)}.${bytesToBase64Url(new Uint8Array(ciphertext))}`;
}

export class DecryptError extends Error {
  constructor(reason: string) {
    super(`secret cannot be decrypted: ${reason}`);
    this.name = "DecryptError";
  }
}

export async function decryptSecret(
  keyring: Keyring,
  envelope: string,
  binding: SecretBinding,
): Promise<string> {
  const match = /^v(\d+)\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]+)$/.exec(envelope);
  if (!match) throw new DecryptError("malformed envelope");
  const key = keyring.keys.get(Number(match[1]));
  if (!key) throw new DecryptError(`key version ${match[1]} is not in the keyring`);
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: base64UrlToBytes(match[2] as string), additionalData: additionalData(binding) },
      key,
      base64UrlToBytes(match[3] as string),
    );
    return new TextDecoder().decode(plaintext);
  } catch {
    throw new DecryptError("authentication failed");
  }
}

/** The key version an envelope was written with (rotation re-encrypts the older ones). */
export const envelopeVersion = (envelope: string) => Number(/^v(\d+)\./.exec(envelope)?.[1] ?? Number.NaN);
