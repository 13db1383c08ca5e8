import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/control/client";
import { emailTokens, users } from "../../src/db/control/schema";
import { sha256Hex } from "../../src/lib/crypto";
import { BREACHED_PASSWORDS } from "../fixtures/pwned";
import { call, errorCode, json, testConfig } from "../helpers";
import {
  loginUser,
  mailedToken,
  outbox,
  type SessionBody,
  signupUser,
  strongPassword,
  testIp,
  uniqueEmail,
} from "./helpers";

const post = (path: string, body?: unknown, token?: string) =>
  call("POST", path, { body, token, headers: { "CF-Connecting-IP": testIp() } });

async function expireToken(token: string) {
  await controlDb(testConfig())
    .update(emailTokens)
    .set({ expiresAt: Date.now() - 1 })
    .where(eq(emailTokens.hash, await sha256Hex(token)));
}

describe("password reset", () => {
  it("emails a single-use token that sets a new password and signs out every session", async () => {
    const user = await signupUser();
    const other = await loginUser(user.email, user.password);
    const res = await post("/v1/auth/password-reset/request", { email: user.email });
    expect(res.status).toBe(202);
    const token = await mailedToken(user.email, "password_reset");

    const password = strongPassword();
    expect((await post("/v1/auth/password-reset/confirm", { token, password })).status).toBe(204);
    for (const session of [user.session, other]) {
      const me = await call("GET", "/v1/auth/session", { token: session.accessToken });
      expect(await errorCode(me)).toBe("credential_revoked");
      expect((await post("/v1/auth/refresh", { refreshToken: session.refreshToken })).status).toBe(401);
    }
    expect((await post("/v1/auth/login", { email: user.email, password: user.password })).status).toBe(401);
    const fresh = await loginUser(user.email, password);
    expect((await call("GET", "/v1/auth/session", { token: fresh.accessToken })).status).toBe(200);
    expect((await outbox(user.email)).some((m) => m.tag === "password_changed")).toBe(true);

    // Single use: the same token again is refused.
    const reused = await post("/v1/auth/password-reset/confirm", { token, password: strongPassword() });
    expect(reused.status).toBe(401);
    expect(await errorCode(reused)).toBe("invalid_token");
  });

  it("answers the same for an address without an account, and sends nothing", async () => {
    const email = uniqueEmail("nobody");
    const res = await post("/v1/auth/password-reset/request", { email });
    expect(res.status).toBe(202);
    const known = await signupUser();
    const res2 = await post("/v1/auth/password-reset/request", { email: known.email });
    expect(await json(res)).toEqual(await json(res2));
    expect(await outbox(email)).toEqual([]);
  });

  it("refuses an expired reset token", async () => {
    const user = await signupUser();
    await post("/v1/auth/password-reset/request", { email: user.email });
    const token = await mailedToken(user.email, "password_reset");
    await expireToken(token);
    const res = await post("/v1/auth/password-reset/confirm", { token, password: strongPassword() });
    expect(res.status).toBe(401);
    expect(await errorCode(res)).toBe("token_expired");
    expect((await post("/v1/auth/login", { email: user.email, password: user.password })).status).toBe(200);
  });

  it("only the newest reset email works", async () => {
    const user = await signupUser();
    await post("/v1/auth/password-reset/request", { email: user.email });
    const first = await mailedToken(user.email, "password_reset");
    await post("/v1/auth/password-reset/request", { email: user.email });
    const second = await mailedToken(user.email, "password_reset");
    expect(second).not.toBe(first);
    expect(
      await errorCode(
        await post("/v1/auth/password-reset/confirm", { token: first, password: strongPassword() }),
      ),
    ).toBe("invalid_token");
    expect(
      (await post("/v1/auth/password-reset/confirm", { token: second, password: strongPassword() })).status,
    ).toBe(204);
  });

  it("applies the password rules to the new password without spending the token", async () => {
    const user = await signupUser();
    await post("/v1/auth/password-reset/request", { email: user.email });
    const token = await mailedToken(user.email, "password_reset");
    const breached = await post("/v1/auth/password-reset/confirm", {
      token,
      password: BREACHED_PASSWORDS[0],
    });
    expect(await errorCode(breached)).toBe("breached_password");
    const weak = await post("/v1/auth/password-reset/confirm", { token, password: "too-short" });
    expect(await errorCode(weak)).toBe("weak_password");
    expect(
      (await post("/v1/auth/password-reset/confirm", { token, password: strongPassword() })).status,
    ).toBe(204);
  });

  it("limits reset emails per account", async () => {
    const user = await signupUser();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await post("/v1/auth/password-reset/request", { email: user.email })).status);
    expect(statuses.slice(0, 3)).toEqual([202, 202, 202]);
    expect(statuses.at(-1)).toBe(429);
  });
});

describe("password change", () => {
  it("needs the current password, signs out every other session and keeps the caller signed in", async () => {
    const user = await signupUser();
    const phone = await loginUser(user.email, user.password);
    const password = strongPassword();
    const res = await post(
      "/v1/auth/password",
      { currentPassword: user.password, newPassword: password },
      user.session.accessToken,
    );
    expect(res.status).toBe(200);
    const fresh = (await json<{ session: SessionBody }>(res)).session;

    expect(await errorCode(await call("GET", "/v1/auth/session", { token: phone.accessToken }))).toBe(
      "credential_revoked",
    );
    expect((await post("/v1/auth/refresh", { refreshToken: phone.refreshToken })).status).toBe(401);
    expect(await errorCode(await call("GET", "/v1/auth/session", { token: user.session.accessToken }))).toBe(
      "credential_revoked",
    );
    expect((await call("GET", "/v1/auth/session", { token: fresh.accessToken })).status).toBe(200);
    expect((await post("/v1/auth/refresh", { refreshToken: fresh.refreshToken })).status).toBe(200);
    expect((await post("/v1/auth/login", { email: user.email, password })).status).toBe(200);
  });

  it("refuses a wrong current password, and weak or breached new ones", async () => {
    const user = await signupUser();
    const token = user.session.accessToken;
    const wrong = await post(
      "/v1/auth/password",
      { currentPassword: "not my password", newPassword: strongPassword() },
      token,
    );
    expect(wrong.status).toBe(401);
    expect(await errorCode(wrong)).toBe("unauthorized");
    const weak = await post(
      "/v1/auth/password",
      { currentPassword: user.password, newPassword: "tiny" },
      token,
    );
    expect(await errorCode(weak)).toBe("weak_password");
    const same = await post(
      "/v1/auth/password",
      { currentPassword: user.password, newPassword: user.email },
      token,
    );
    expect(await errorCode(same)).toBe("weak_password");
    const breached = await post(
      "/v1/auth/password",
      { currentPassword: user.password, newPassword: BREACHED_PASSWORDS[2] },
      token,
    );
    expect(await errorCode(breached)).toBe("breached_password");
    // Nothing changed: the session and the old password still work.
    expect((await call("GET", "/v1/auth/session", { token })).status).toBe(200);
  });
});

describe("email verification", () => {
  it("verifies the address with the emailed token, once", async () => {
    const user = await signupUser();
    const token = await mailedToken(user.email, "verify_email");
    const res = await post("/v1/auth/verify-email", { token });
    expect(res.status).toBe(200);
    const [row] = await controlDb(testConfig()).select().from(users).where(eq(users.id, user.id));
    expect(row?.emailVerifiedAt).toBeTypeOf("number");
    const again = await post("/v1/auth/verify-email", { token });
    expect(await errorCode(again)).toBe("invalid_token");
  });

  it("refuses an expired verification token; a resent email works and retires the old one", async () => {
    const user = await signupUser();
    const old = await mailedToken(user.email, "verify_email");
    await expireToken(old);
    expect(await errorCode(await post("/v1/auth/verify-email", { token: old }))).toBe("token_expired");
    const resend = await post("/v1/auth/resend-verification", undefined, user.session.accessToken);
    expect(resend.status).toBe(202);
    const fresh = await mailedToken(user.email, "verify_email");
    expect(fresh).not.toBe(old);
    expect((await post("/v1/auth/verify-email", { token: fresh })).status).toBe(200);
    const done = await post("/v1/auth/resend-verification", undefined, user.session.accessToken);
    expect(await errorCode(done)).toBe("conflict");
  });

  it("rejects tokens that are not 32 hex bytes before looking anything up", async () => {
    const res = await post("/v1/auth/verify-email", { token: "abc" });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe("invalid_request");
  });
});
