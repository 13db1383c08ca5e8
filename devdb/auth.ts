// Authentication as sqld does it (libsql-server/src/auth/): an Ed25519-signed JWT in
// `Authorization: Bearer …`, verified with jose. The claims grant access per namespace:
//   { "p": { "rw": { "ns": ["a"] }, "ro": { "ns": ["b"] } } }   scoped (authorized.rs)
//   { "a": "ro" | "rw" | "roa", "id"?: "<namespace>" }          legacy (jwt.rs: Token)
// A token without `p` is legacy: `a` defaults to "rw" and a missing `id` means every namespace.
import { createHash, timingSafeEqual } from "node:crypto";
import { errors, importJWK, importSPKI, type JWTPayload, jwtVerify } from "jose";
import { HttpError } from "./errors.ts";

/** What a request may do, derived from its credential. */
export interface Grant {
  canRead(namespace: string): boolean;
  canWrite(namespace: string): boolean;
}

/** No JWT key configured and the peer is on loopback: sqld's disabled auth strategy. */
export const FULL_ACCESS: Grant = { canRead: () => true, canWrite: () => true };

const unauthorized = (code: string, message: string) => new HttpError(401, code, message);

type VerifyKey = Awaited<ReturnType<typeof importSPKI>>;

/** Parses sqld's --auth-jwt-key formats: PEM text (one or more SPKI blocks) or raw base64url. */
async function importKeys(text: string): Promise<VerifyKey[]> {
  const trimmed = text.trim();
  if (trimmed.startsWith("-----BEGIN")) {
    const blocks = [...trimmed.matchAll(/-----BEGIN ([A-Z ]+)-----[\s\S]*?-----END \1-----/g)];
    if (blocks.length === 0) throw new Error("jwtPublicKey: no PEM block found");
    return Promise.all(
      blocks.map(([pem, label]) => {
        if (label !== "PUBLIC KEY") {
          throw new Error(`jwtPublicKey: expected a PUBLIC KEY PEM block, got ${label}`);
        }
        return importSPKI(pem, "EdDSA");
      }),
    );
  }
  const x = trimmed.replace(/\s+/g, "");
  if (!/^[A-Za-z0-9_-]{43}$/.test(x) || Buffer.from(x, "base64url").length !== 32) {
    throw new Error("jwtPublicKey: expected PEM text or a base64url-encoded 32-byte Ed25519 key");
  }
  return [(await importJWK({ kty: "OKP", crv: "Ed25519", x }, "EdDSA")) as VerifyKey];
}

type Scope = "ro" | "rw" | "roa" | "rwa" | "ddl";
const SCOPES: Scope[] = ["ro", "rw", "roa", "rwa", "ddl"];

function namespacesOf(value: unknown, where: string): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== "object" || Array.isArray(value)) throw new Error(`${where} must be an object`);
  const ns = (value as { ns?: unknown }).ns;
  if (ns === undefined || ns === null) return [];
  if (!Array.isArray(ns) || !ns.every((n) => typeof n === "string")) {
    throw new Error(`${where}.ns must be an array of strings`);
  }
  return ns as string[];
}

/** Turns verified claims into a grant; throws on claims sqld could not deserialize. */
export function grantFromClaims(claims: JWTPayload): Grant {
  const p = claims.p;
  if (p !== undefined && p !== null) {
    if (typeof p !== "object" || Array.isArray(p)) throw new Error("p must be an object");
    const byScope = new Map(
      SCOPES.map((s) => [s, namespacesOf((p as Record<string, unknown>)[s], `p.${s}`)]),
    );
    // authorized.rs: rw, rwa and ddl allow writing; reading is allowed by any scope.
    const writable = new Set([
      ...(byScope.get("rw") ?? []),
      ...(byScope.get("rwa") ?? []),
      ...(byScope.get("ddl") ?? []),
    ]);
    const readable = new Set([...writable, ...(byScope.get("ro") ?? []), ...(byScope.get("roa") ?? [])]);
    return { canRead: (ns) => readable.has(ns), canWrite: (ns) => writable.has(ns) };
  }
  const { a, id } = claims;
  if (a !== undefined && a !== null && a !== "ro" && a !== "rw" && a !== "roa") {
    throw new Error('a must be "ro", "rw" or "roa"');
  }
  if (id !== undefined && id !== null && typeof id !== "string") throw new Error("id must be a string");
  const inScope = (ns: string) => id === undefined || id === null || id === ns;
  const writes = a === undefined || a === null || a === "rw";
  return { canRead: inScope, canWrite: (ns) => writes && inScope(ns) };
}

interface Verified {
  grant: Grant;
  exp: number | undefined;
  nbf: number | undefined;
}

/** Verified tokens kept to skip repeating the signature check; time claims are rechecked. */
const CACHE_SIZE = 1000;

export class JwtVerifier {
  private readonly verified = new Map<string, Verified>();

  private constructor(private readonly keys: VerifyKey[]) {}

  static async create(publicKey: string): Promise<JwtVerifier> {
    return new JwtVerifier(await importKeys(publicKey));
  }

  /** Verifies `Authorization: Bearer <jwt>`; throws a 401 HttpError with sqld's AuthError codes. */
  async verify(authorization: string | undefined): Promise<Grant> {
    if (authorization === undefined) {
      throw unauthorized("AUTH_HEADER_NOT_FOUND", "Expected authorization header but none given");
    }
    const space = authorization.indexOf(" ");
    if (space === -1)
      throw unauthorized("AUTH_HEADER_MALFORMED", "Auth string does not conform to '<scheme> <token>' form");
    if (authorization.slice(0, space).toLowerCase() !== "bearer") {
      throw unauthorized(
        "AUTH_HTTP_HEADER_UNSUPPORTED_SCHEME",
        "The authentication scheme in the `Authorization` HTTP header is not supported",
      );
    }
    const token = authorization.slice(space + 1).trim();
    const now = Date.now() / 1000;
    const hit = this.verified.get(token);
    if (hit !== undefined) {
      if ((hit.exp === undefined || now < hit.exp) && (hit.nbf === undefined || now >= hit.nbf))
        return hit.grant;
      this.verified.delete(token);
    }
    for (const key of this.keys) {
      try {
        // The algorithm is pinned: `alg: none`, HS256 and friends never reach signature checks.
        const { payload } = await jwtVerify(token, key, { algorithms: ["EdDSA"] });
        let grant: Grant;
        try {
          grant = grantFromClaims(payload);
        } catch {
          throw unauthorized("AUTH_JWT_INVALID", "The JWT is invalid");
        }
        if (this.verified.size >= CACHE_SIZE)
          this.verified.delete(this.verified.keys().next().value as string);
        this.verified.set(token, { grant, exp: payload.exp, nbf: payload.nbf });
        return grant;
      } catch (error) {
        if (error instanceof HttpError) throw error;
        if (error instanceof errors.JWTExpired) throw unauthorized("AUTH_JWT_EXPIRED", "The JWT has expired");
        if (error instanceof errors.JWTClaimValidationFailed && error.claim === "nbf") {
          throw unauthorized("AUTH_JWT_IMMATURE", "The JWT is immature (not valid yet)");
        }
        // Otherwise try the next key, as sqld does for JwtInvalid.
      }
    }
    throw unauthorized("AUTH_JWT_INVALID", "The JWT is invalid");
  }
}

/** 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  return address === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

const digest = (value: string) => createHash("sha256").update(value).digest();

/** Constant-time check of `Authorization: Bearer <expected>`. */
export function bearerMatches(authorization: string | undefined, expected: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(authorization ?? "");
  return timingSafeEqual(digest(match?.[1]?.trim() ?? ""), digest(expected)) && match !== null;
}
