import { describe, expect, it } from "vitest";
import { call, errorCode, json } from "../helpers";
import { cookieHeader, setCookies, signupUser, testIp } from "./helpers";

const ACCESS = "__Host-islet_access";
const REFRESH = "__Host-islet_refresh";
const CSRF = "__Host-islet_csrf";

async function cookieLogin() {
  const user = await signupUser();
  const ip = testIp();
  const res = await call("POST", "/v1/auth/login?mode=cookie", {
    body: { email: user.email, password: user.password },
    headers: { "CF-Connecting-IP": ip },
  });
  expect(res.status).toBe(200);
  const cookies = setCookies(res);
  const body = await json<{ session: Record<string, unknown> }>(res);
  const jar = {
    [ACCESS]: cookies.get(ACCESS)?.value ?? "",
    [REFRESH]: cookies.get(REFRESH)?.value ?? "",
    [CSRF]: cookies.get(CSRF)?.value ?? "",
  };
  return { user, ip, res, cookies, body, jar };
}

const withCookies = (jar: Record<string, string>, extra: Record<string, string> = {}) => ({
  Cookie: cookieHeader(jar),
  "CF-Connecting-IP": testIp(),
  ...extra,
});

describe("browser sessions (?mode=cookie)", () => {
  it("set __Host- cookies with the right attributes and keep tokens out of the body", async () => {
    const { cookies, body } = await cookieLogin();
    for (const name of [ACCESS, REFRESH, CSRF]) {
      const cookie = cookies.get(name);
      expect(cookie, name).toBeDefined();
      expect(cookie?.attributes).toEqual(expect.arrayContaining(["path=/", "secure", "samesite=lax"]));
      expect(cookie?.attributes.some((a) => a.startsWith("domain="))).toBe(false);
    }
    expect(cookies.get(ACCESS)?.attributes).toContain("httponly");
    expect(cookies.get(REFRESH)?.attributes).toContain("httponly");
    // The CSRF cookie is the one the page's script must be able to read.
    expect(cookies.get(CSRF)?.attributes).not.toContain("httponly");
    expect(cookies.get(ACCESS)?.attributes).toContain("max-age=840");
    expect(body.session).not.toHaveProperty("accessToken");
    expect(body.session).not.toHaveProperty("refreshToken");
    expect(body.session.csrfToken).toBe(cookies.get(CSRF)?.value);
  });

  it("authenticate reads the access cookie; safe methods need no CSRF token", async () => {
    const { user, jar } = await cookieLogin();
    const res = await call("GET", "/v1/auth/session", { headers: withCookies(jar) });
    expect(res.status).toBe(200);
    expect((await json<{ user: { id: string } }>(res)).user.id).toBe(user.id);
  });

  it("refuse state-changing cookie requests without the CSRF token, or with a wrong one", async () => {
    const { jar } = await cookieLogin();
    const missing = await call("POST", "/v1/auth/logout", { headers: withCookies(jar) });
    expect(missing.status).toBe(403);
    expect(await errorCode(missing)).toBe("csrf_failed");
    const wrong = await call("POST", "/v1/auth/logout", {
      headers: withCookies(jar, { "X-CSRF-Token": "f".repeat(64) }),
    });
    expect(wrong.status).toBe(403);
    expect(await errorCode(wrong)).toBe("csrf_failed");
    // Still signed in: neither attempt did anything.
    expect((await call("GET", "/v1/auth/session", { headers: withCookies(jar) })).status).toBe(200);
  });

  it("the refresh cookie alone also needs the CSRF token (an expired access cookie is no way around it)", async () => {
    const { jar } = await cookieLogin();
    const onlyRefresh = { [REFRESH]: jar[REFRESH] as string, [CSRF]: jar[CSRF] as string };
    const missing = await call("POST", "/v1/auth/refresh", { headers: withCookies(onlyRefresh) });
    expect(await errorCode(missing)).toBe("csrf_failed");
    const res = await call("POST", "/v1/auth/refresh", {
      headers: withCookies(onlyRefresh, { "X-CSRF-Token": jar[CSRF] as string }),
    });
    expect(res.status).toBe(200);
    const next = setCookies(res);
    expect(next.get(REFRESH)?.value).toMatch(/^[0-9a-f]{64}$/);
    expect(next.get(REFRESH)?.value).not.toBe(jar[REFRESH]);
    expect(next.get(ACCESS)?.value).toBeTruthy();
  });

  it("logout with the CSRF token ends the session and clears the cookies", async () => {
    const { jar } = await cookieLogin();
    const res = await call("POST", "/v1/auth/logout", {
      headers: withCookies(jar, { "X-CSRF-Token": jar[CSRF] as string }),
    });
    expect(res.status).toBe(204);
    const cleared = setCookies(res);
    for (const name of [ACCESS, REFRESH, CSRF]) expect(cleared.get(name)?.attributes).toContain("max-age=0");
    const after = await call("GET", "/v1/auth/session", { headers: withCookies(jar) });
    expect(await errorCode(after)).toBe("credential_revoked");
  });

  it("a password change over cookies answers with fresh cookies", async () => {
    const { user, jar } = await cookieLogin();
    const res = await call("POST", "/v1/auth/password", {
      body: { currentPassword: user.password, newPassword: `${user.password}-2` },
      headers: withCookies(jar, { "X-CSRF-Token": jar[CSRF] as string }),
    });
    expect(res.status).toBe(200);
    const fresh = setCookies(res);
    expect(fresh.get(ACCESS)?.value).not.toBe(jar[ACCESS]);
    const again = await call("GET", "/v1/auth/session", {
      headers: withCookies({ [ACCESS]: fresh.get(ACCESS)?.value ?? "" }),
    });
    expect(again.status).toBe(200);
  });

  it("refuse a cookie sign-in started by another site (login CSRF)", async () => {
    const user = await signupUser();
    const res = await call("POST", "/v1/auth/login?mode=cookie", {
      body: { email: user.email, password: user.password },
      headers: { "CF-Connecting-IP": testIp(), Origin: "https://evil.example" },
    });
    expect(res.status).toBe(403);
    expect(await errorCode(res)).toBe("csrf_failed");
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it("bearer requests need no CSRF token", async () => {
    const user = await signupUser();
    const res = await call("POST", "/v1/auth/logout", { token: user.session.accessToken });
    expect(res.status).toBe(204);
  });
});
