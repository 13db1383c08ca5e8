import { argon2id } from "argon2-wasm-edge";

/**
 * Argon2id with OWASP's first recommended configuration (Password Storage Cheat Sheet):
 * m = 19 MiB, t = 2, p = 1; 16-byte salt, 32-byte tag. Stored as a PHC string
 * (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`, unpadded standard base64), so stored hashes
 * carry their own parameters and can be upgraded on the next successful login.
 *
 * This file is runtime-neutral (the benchmark runs it under Node); the Worker hands the
 * library its precompiled WebAssembly modules in ./argon2-wasm.ts.
 */
export const ARGON2_PARAMS = { memorySize: 19_456, iterations: 2, parallelism: 1, hashLength: 32 } as const;
const SALT_BYTES = 16;
const VERSION = 19;

export interface Argon2Params {
  memorySize: number;
  iterations: number;
  parallelism: number;
  hashLength: number;
}

interface ParsedPhc {
  params: Argon2Params;
  salt: Uint8Array;
  hash: Uint8Array;
}

const toB64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/=+$/, "");
const fromB64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/** Bounds on parameters read back from storage, so a corrupted row cannot exhaust memory. */
const LIMITS = {
  memorySize: [1024, 262_144],
  iterations: [1, 16],
  parallelism: [1, 4],
  hashLength: [16, 64],
};

export function parsePhc(phc: string): ParsedPhc | null {
  const match = /^\$argon2id\$v=(\d+)\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(
    phc,
  );
  if (!match || Number(match[1]) !== VERSION) return null;
  let salt: Uint8Array;
  let hash: Uint8Array;
  try {
    salt = fromB64(match[5] as string);
    hash = fromB64(match[6] as string);
  } catch {
    return null;
  }
  const params = {
    memorySize: Number(match[2]),
    iterations: Number(match[3]),
    parallelism: Number(match[4]),
    hashLength: hash.byteLength,
  };
  for (const [name, [min, max]] of Object.entries(LIMITS)) {
    const value = params[name as keyof Argon2Params];
    if (!(value >= (min as number) && value <= (max as number))) return null;
  }
  if (salt.byteLength < 8) return null;
  return { params, salt, hash };
}

async function derive(password: string, salt: Uint8Array, params: Argon2Params): Promise<Uint8Array> {
  return argon2id({ password, salt, ...params, outputType: "binary" });
}

export async function hashPassword(password: string, params: Argon2Params = ARGON2_PARAMS): Promise<string> {
  const salt = new Uint8Array(SALT_BYTES);
  crypto.getRandomValues(salt);
  const hash = await derive(password, salt, params);
  return `$argon2id$v=${VERSION}$m=${params.memorySize},t=${params.iterations},p=${params.parallelism}$${toB64(salt)}$${toB64(hash)}`;
}

/** Constant-time byte comparison (portable: Node's WebCrypto has no timingSafeEqual). */
function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

export interface VerifyResult {
  ok: boolean;
  /** The stored hash uses other parameters than today's: store a fresh one (login rehash). */
  needsRehash: boolean;
}

/** Checks a password against a PHC string; an unparseable string never matches. */
export async function verifyPassword(
  password: string,
  phc: string,
  current: Argon2Params = ARGON2_PARAMS,
): Promise<VerifyResult> {
  const parsed = parsePhc(phc);
  if (!parsed) return { ok: false, needsRehash: false };
  const candidate = await derive(password, parsed.salt, parsed.params);
  const ok = equalBytes(candidate, parsed.hash);
  const p = parsed.params;
  const needsRehash =
    ok &&
    (p.memorySize !== current.memorySize ||
      p.iterations !== current.iterations ||
      p.parallelism !== current.parallelism ||
      p.hashLength !== current.hashLength ||
      parsed.salt.byteLength < SALT_BYTES);
  return { ok, needsRehash };
}

/**
 * A well-formed hash under today's parameters that no password matches (its tag is not the
 * output of any derivation we know of): verifying against it costs what a real check costs, so
 * an unknown email answers in about the time a wrong password does.
 */
export const DUMMY_HASH = `$argon2id$v=${VERSION}$m=${ARGON2_PARAMS.memorySize},t=${ARGON2_PARAMS.iterations},p=${ARGON2_PARAMS.parallelism}$${toB64(new Uint8Array(SALT_BYTES).fill(0x5a))}$${toB64(new Uint8Array(ARGON2_PARAMS.hashLength).fill(0xa5))}`;
