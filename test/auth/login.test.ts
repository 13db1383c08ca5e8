import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/control/client";
import { securityLog, users } from "../../src/db/control/schema";
import { ARGON2_PARAMS, hashPassword } from "../../src/services/auth/argon2-wasm";
import { ACCOUNT_LIMITS } from "../../src/services/auth/limits";
import { call, errorCode, json, testConfig } from "../helpers";
import { mailedToken, signupUser, strongPassword, testIp, uniqueEmail } from "./helpers";

const login = (body: unknown, ip = testIp()) =>
  call("POST", "/v1/auth/login", { body, headers: { "CF-Connecting-IP": ip } });

/** The error body without its per-request id. */
async function withoutRequestId(res: Response) {
  const body = await json<{ error: Record<string, unknown> }>(res);
  const { requestId: _, ...rest } = body.error;
  return rest;
}

describe("POST /v1/auth/login", () => {
  it("signs in with email (any case) and password and returns a working session", async () => {
    const user = await signupUser();
    const res = await login({ email: user.email.toUpperCase(), password: user.password });
    expect(res.status).toBe(200);
    const body = await json<{ user: { id: string }; session: { accessToken: string; refreshToken: string } }>(
      res,
    );
    expect(body.user.id).toBe(user.id);
    expect(body.session.refreshToken).toMatch(/^[0-9a-f]{64}$/);
    const me = await call("GET", "/v1/auth/session", { token: body.session.accessToken });
    expect((await json<{ user: { id: string } }>(me)).user.id).toBe(user.id);
  });

  it("answers an unknown email and a wrong password with the same status and body", async () => {
    const user = await signupUser();
    const unknown = await login({ email: uniqueEmail("nobody"), password: user.password });
    const wrong = await login({ email: user.email, password: `${user.password}x` });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    const a = await withoutRequestId(unknown);
    expect(a).toEqual(await withoutRequestId(wrong));
    expect(a).toEqual({ code: "unauthorized", message: "Email or password is incorrect" });
  });

  it("audits every failure in the platform security log, with the user when the email is known", async () => {
    const user = await signupUser();
    const ip = testIp();
    await login({ email: user.email, password: "wrong password here" }, ip);
    await login({ email: uniqueEmail("ghost"), password: "wrong password here" }, ip);
    const rows = await controlDb(testConfig()).select().from(securityLog).where(eq(securityLog.ip, ip));
    const failures = rows.filter((r) => r.action === "auth.login_failed");
    expect(failures).toHaveLength(2);
    expect(failures.map((r) => JSON.parse(r.details).reason).sort()).toEqual([
      "unknown_email",
      "wrong_password",
    ]);
    expect(failures.find((r) => JSON.parse(r.details).reason === "wrong_password")?.subjectUserId).toBe(
      user.id,
    );
    for (const row of rows) expect(row.details).not.toContain(user.password);
  });

  it("backs off an account after repeated failures, whatever address they come from", async () => {
    const user = await signupUser();
    let limited: Response | undefined;
    for (let i = 0; i <= ACCOUNT_LIMITS.login.limit + 1 && !limited; i++) {
      const res = await login({ email: user.email, password: `not-the-password-${i}` });
      if (res.status === 429) limited = res;
      else expect(res.status).toBe(401);
    }
    expect(limited).toBeDefined();
    expect(await errorCode(limited as Response)).toBe("rate_limited");
    expect(Number((limited as Response).headers.get("Retry-After"))).toBeGreaterThan(0);
    // The right password does not get through while the backoff lasts.
    expect((await login({ email: user.email, password: user.password })).status).toBe(429);
    // But the owner of the address can still recover it: failing logins on purpose must not
    // lock them out of a password reset, and the reset lifts the backoff.
    const reset = await call("POST", "/v1/auth/password-reset/request", {
      body: { email: user.email },
      headers: { "CF-Connecting-IP": testIp() },
    });
    expect(reset.status).toBe(202);
    const token = await mailedToken(user.email, "password_reset");
    const password = strongPassword();
    const confirmed = await call("POST", "/v1/auth/password-reset/confirm", {
      body: { token, password },
      headers: { "CF-Connecting-IP": testIp() },
    });
    expect(confirmed.status).toBe(204);
    expect((await login({ email: user.email, password })).status).toBe(200);
  });

  it("upgrades a hash stored under older parameters on the next successful login", async () => {
    const user = await signupUser();
    const db = controlDb(testConfig());
    const weaker = await hashPassword(user.password, { ...ARGON2_PARAMS, memorySize: 8192, iterations: 1 });
    await db.update(users).set({ passwordHash: weaker }).where(eq(users.id, user.id));
    expect((await login({ email: user.email, password: user.password })).status).toBe(200);
    const [row] = await db.select().from(users).where(eq(users.id, user.id));
    expect(row?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect((await login({ email: user.email, password: user.password })).status).toBe(200);
  });

  it("refuses password sign-in to an account without a password", async () => {
    const user = await signupUser();
    await controlDb(testConfig()).update(users).set({ passwordHash: null }).where(eq(users.id, user.id));
    const res = await login({ email: user.email, password: user.password });
    expect(res.status).toBe(401);
    expect(await withoutRequestId(res)).toEqual({
      code: "unauthorized",
      message: "Email or password is incorrect",
    });
  });

  it("limits sign-in attempts per address", async () => {
    const ip = testIp();
    let status = 0;
    for (let i = 0; i < 40 && status !== 429; i++) {
      status = (await login({ email: uniqueEmail("spray"), password: strongPassword() }, ip)).status;
    }
    expect(status).toBe(429);
  });
});
