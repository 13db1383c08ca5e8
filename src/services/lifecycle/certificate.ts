// Deletion certificates (architecture §10): a JWS signed with the platform's Ed25519 key (EdDSA),
// verifiable by anyone against GET /.well-known/jwks.json, whose keys carry `kid`s so the signing
// key can be rotated while older certificates still verify.
import {
  createLocalJWKSet,
  exportJWK,
  importPKCS8,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from "jose";
import type { Config, SigningKeysConfig } from "../../config";
import { ApiError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { parseInput, type ServiceArgs } from "../core/context";
import { verifyCertificateInput } from "./schemas";

/** The JWS `typ` of a deletion certificate: nothing else islet signs verifies as one. */
export const CERTIFICATE_TYPE = "islet-deletion-certificate+jwt";

interface LoadedKeys {
  active: { kid: string; key: CryptoKey };
  jwks: { keys: JWK[] };
}

const cache = new WeakMap<SigningKeysConfig, Promise<LoadedKeys>>();

const pem = (base64: string) => `-----BEGIN PRIVATE KEY-----\n${base64}\n-----END PRIVATE KEY-----`;

function signingKeys(config: Config): SigningKeysConfig {
  if (!config.PLATFORM_SIGNING_KEYS) {
    throw new ApiError("misconfigured", "The platform signing key (PLATFORM_SIGNING_KEYS) is not configured");
  }
  return config.PLATFORM_SIGNING_KEYS;
}

async function load(keys: SigningKeysConfig): Promise<LoadedKeys> {
  const entries = await Promise.all(
    Object.entries(keys.keys).map(async ([kid, der]) => {
      const key = await importPKCS8(pem(der), "EdDSA", { extractable: true });
      // The public half only: `d` never leaves.
      const { d: _, ...pub } = await exportJWK(key);
      return { kid, key, jwk: { ...pub, kid, alg: "EdDSA", use: "sig" } as JWK };
    }),
  );
  const active = entries.find((e) => e.kid === keys.active);
  if (!active) throw new ApiError("misconfigured", "The active platform signing key is missing");
  return { active: { kid: active.kid, key: active.key }, jwks: { keys: entries.map((e) => e.jwk) } };
}

function loaded(config: Config): Promise<LoadedKeys> {
  const keys = signingKeys(config);
  let promise = cache.get(keys);
  if (!promise) {
    promise = load(keys).catch((error: unknown) => {
      cache.delete(keys);
      if (error instanceof ApiError) throw error;
      throw new ApiError(
        "misconfigured",
        "PLATFORM_SIGNING_KEYS holds a key that is not an Ed25519 PKCS#8 key",
      );
    });
    cache.set(keys, promise);
  }
  return promise;
}

/** The public keys, as `GET /.well-known/jwks.json` serves them. */
export async function platformJwks(config: Config): Promise<{ keys: JWK[] }> {
  return (await loaded(config)).jwks;
}

/** Signs a certificate for `subject` (the deleted account's id) carrying `claims`. */
export async function signCertificate(config: Config, subject: string, claims: JWTPayload): Promise<string> {
  const { active } = await loaded(config);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "EdDSA", typ: CERTIFICATE_TYPE, kid: active.kid })
    .setIssuer(config.PUBLIC_URL)
    .setSubject(subject)
    .setJti(newId("cert"))
    .setIssuedAt()
    .sign(active.key);
}

/**
 * `POST /v1/certificates/verify`: whether a certificate is one this platform signed (any key it
 * publishes), unaltered, and what it says. A failure is an answer (`valid: false`), not an error.
 */
export async function verifyCertificate({
  ctx,
  input: raw,
}: ServiceArgs<{ certificate: string }>): Promise<
  { valid: true; kid: string; claims: JWTPayload } | { valid: false; reason: string }
> {
  const input = parseInput(verifyCertificateInput, raw);
  const { jwks } = await loaded(ctx.config);
  try {
    const { payload, protectedHeader } = await jwtVerify(input.certificate, createLocalJWKSet(jwks), {
      issuer: ctx.config.PUBLIC_URL,
      typ: CERTIFICATE_TYPE,
      algorithms: ["EdDSA"],
    });
    return { valid: true, kid: protectedHeader.kid ?? "", claims: payload };
  } catch (error) {
    const code = (error as { code?: string }).code ?? "";
    const reason =
      code === "ERR_JWKS_NO_MATCHING_KEY"
        ? "not signed by a key this platform publishes"
        : code === "ERR_JWS_SIGNATURE_VERIFICATION_FAILED"
          ? "the signature does not match: altered, or signed by another key"
          : code === "ERR_JWT_CLAIM_VALIDATION_FAILED"
            ? "not a deletion certificate of this platform"
            : "not a well-formed certificate";
    return { valid: false, reason };
  }
}
