// JWT attacks against the access token (architecture §3: alg pinned, signature, exp/nbf, iss, aud, all
// checked before any database call). The app runs with its control database pointed at a port
// nothing listens on: any database call would fail the request with 5xx, so a 401 shows the
// token was refused before one was attempted.
import { env } from "cloudflare:workers";
import { base64url, generateKeyPair, SignJWT, UnsecuredJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { signAccessToken, verifyAccessToken } from "../../src/lib/jwt";
import { makeUser, type TestUser, testConfig } from "../helpers";
import { callWithEnv } from "./helpers";

const NO_DATABASE = { CONTROL_DB_URL: "http://127.0.0.1:9" };
const secret = () => new TextEncoder().encode(env.SESSION_JWT_SECRET as string);
const now = () => Math.floor(Date.now() / 1000);

function claims(user: TestUser) {
  return new SignJWT({ sid: user.sessionId })
    .setSubject(user.id)
    .setIssuer(testConfig().PUBLIC_URL)
    .setAudience("islet:api")
    .setIssuedAt()
    .setJti(`jti_${crypto.randomUUID()}`)
    .setExpirationTime("10m");
}

async function probe(token: string, via: "bearer" | "cookie" = "bearer") {
  const headers: Record<string, string> =
    via === "bearer" ? { Authorization: `Bearer ${token}` } : { Cookie: `__Host-islet_access=${token}` };
  const res = await callWithEnv(NO_DATABASE, "GET", "/v1/auth/session", { headers });
  const body = await res.json<{ error?: { code: string } }>();
  return { status: res.status, code: body.error?.code };
}

describe("access token verification happens before any database call", () => {
  let user: TestUser;
  beforeAll(async () => {
    user = await makeUser();
  });

  it("control: a valid token gets past verification and then needs the (unreachable) database", async () => {
    const { status } = await probe(await signAccessToken(testConfig(), user.id, user.sessionId));
    expect(status).toBeGreaterThanOrEqual(500);
  });

  const attacks: [string, (u: TestUser) => Promise<string>][] = [
    [
      "alg none",
      async (u) =>
        new UnsecuredJWT({
          sid: u.sessionId,
          sub: u.id,
          iss: testConfig().PUBLIC_URL,
          aud: "islet:api",
          exp: now() + 600,
          iat: now(),
          jti: "j",
        }).encode(),
    ],
    [
      "RS256 signed by the attacker's key (HS/RS confusion)",
      async (u) => {
        const { privateKey } = await generateKeyPair("RS256");
        return claims(u).setProtectedHeader({ alg: "RS256" }).sign(privateKey);
      },
    ],
    [
      "HS512 with the real secret (algorithm not pinned)",
      async (u) => claims(u).setProtectedHeader({ alg: "HS512" }).sign(secret()),
    ],
    [
      "HS256 with another secret",
      async (u) =>
        claims(u)
          .setProtectedHeader({ alg: "HS256" })
          .sign(new TextEncoder().encode("x".repeat(48))),
    ],
    [
      "tampered payload (sub changed, signature kept)",
      async (u) => {
        const [header, , signature] = (await signAccessToken(testConfig(), u.id, u.sessionId)).split(".");
        const payload = base64url.encode(
          JSON.stringify({
            sub: "usr_someoneelse",
            sid: u.sessionId,
            iss: testConfig().PUBLIC_URL,
            aud: "islet:api",
            iat: now(),
            exp: now() + 600,
            jti: "j",
          }),
        );
        return `${header}.${payload}.${signature}`;
      },
    ],
    [
      "expired",
      async (u) =>
        claims(u)
          .setProtectedHeader({ alg: "HS256" })
          .setIssuedAt(now() - 3600)
          .setExpirationTime(now() - 60)
          .sign(secret()),
    ],
    [
      "wrong audience",
      async (u) => claims(u).setProtectedHeader({ alg: "HS256" }).setAudience("islet:other").sign(secret()),
    ],
    [
      "wrong issuer",
      async (u) =>
        claims(u).setProtectedHeader({ alg: "HS256" }).setIssuer("https://evil.example").sign(secret()),
    ],
    [
      "not valid yet (future nbf)",
      async (u) =>
        claims(u)
          .setProtectedHeader({ alg: "HS256" })
          .setNotBefore(now() + 3600)
          .sign(secret()),
    ],
    [
      "missing session id",
      async (u) =>
        new SignJWT({})
          .setProtectedHeader({ alg: "HS256" })
          .setSubject(u.id)
          .setIssuer(testConfig().PUBLIC_URL)
          .setAudience("islet:api")
          .setIssuedAt()
          .setJti("j")
          .setExpirationTime("10m")
          .sign(secret()),
    ],
    ["garbage", async () => "eyJhbGciOiJIUzI1NiJ9.not-json.sig"],
  ];

  for (const [name, forge] of attacks) {
    it(`refuses ${name} with 401 (bearer and cookie)`, async () => {
      const token = await forge(user);
      for (const via of ["bearer", "cookie"] as const) {
        const { status, code } = await probe(token, via);
        expect(status, via).toBe(401);
        expect(["invalid_token", "token_expired", "unauthorized"]).toContain(code);
      }
    });
  }

  it("names an expired token as such", async () => {
    const token = await claims(user)
      .setProtectedHeader({ alg: "HS256" })
      .setIssuedAt(now() - 3600)
      .setExpirationTime(now() - 60)
      .sign(secret());
    expect((await probe(token)).code).toBe("token_expired");
  });
});

describe("session secret rotation", () => {
  const OLD = "old-secret-0123456789abcdef0123456789";
  const NEW = "new-secret-0123456789abcdef0123456789";
  const config = (current: string, previous?: string) => ({
    SESSION_JWT_SECRET: current,
    ...(previous ? { SESSION_JWT_SECRET_PREVIOUS: previous } : {}),
    PUBLIC_URL: "http://127.0.0.1:8787",
  });

  it("verifies tokens of the previous secret during the overlap, and signs only with the new one", async () => {
    const before = await signAccessToken(config(OLD), "usr_1", "ses_1");
    const overlap = config(NEW, OLD);
    expect((await verifyAccessToken(overlap, before)).sub).toBe("usr_1");
    const after = await signAccessToken(overlap, "usr_1", "ses_1");
    await expect(verifyAccessToken(config(OLD), after)).rejects.toMatchObject({ code: "invalid_token" });
  });

  it("refuses them at once after an incident rotation (no previous secret)", async () => {
    const before = await signAccessToken(config(OLD), "usr_1", "ses_1");
    await expect(verifyAccessToken(config(NEW), before)).rejects.toMatchObject({ code: "invalid_token" });
    await expect(
      verifyAccessToken(config(NEW, "another-secret-0123456789abcdef0123"), before),
    ).rejects.toMatchObject({
      code: "invalid_token",
    });
  });
});
