// OIDC sign-in against a real OpenID Provider (oidc-provider, started by test/global-setup.ts).
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/control/client";
import { memberships, users } from "../../src/db/control/schema";
import { call, errorCode, json, testConfig } from "../helpers";
import { mintKey } from "../workspaces/fixtures";
import {
  callNoFollow,
  cookieHeader,
  loginUser,
  setCookies,
  signupUser,
  testIp,
  uniqueEmail,
} from "./helpers";

interface Account {
  sub?: string;
  email: string;
  email_verified?: boolean;
  name?: string;
}

/** Follows the provider's redirects like a browser: keeps its cookies, stops at islet's callback. */
async function signInAtProvider(authorizeUrl: string, account: Account): Promise<string> {
  const jar = new Map<string, string>();
  const go = async (url: string, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    if (jar.size > 0) headers.set("Cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const header of res.headers.getSetCookie()) {
      const pair = header.split(";")[0] ?? "";
      jar.set(pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1));
    }
    await res.arrayBuffer();
    return res;
  };
  const start = await go(authorizeUrl);
  const interaction = new URL(start.headers.get("Location") ?? "", authorizeUrl);
  expect(interaction.pathname).toMatch(/^\/interaction\//);
  const login = await go(`${interaction}/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ sub: account.sub ?? crypto.randomUUID(), email_verified: true, ...account }),
  });
  const resume = await go(new URL(login.headers.get("Location") ?? "", authorizeUrl).toString());
  const callback = resume.headers.get("Location") ?? "";
  expect(callback).toContain("/v1/auth/oidc/local/callback?");
  return callback;
}

interface Finished {
  res: Response;
  cookies: ReturnType<typeof setCookies>;
}

/** The whole browser round trip: islet start → provider → islet callback (with the state cookie). */
async function oidcSignIn(
  account: Account,
  opts: { returnTo?: string; region?: string } = {},
): Promise<Finished> {
  const ip = testIp();
  const query = new URLSearchParams({
    returnTo: opts.returnTo ?? "/dashboard",
    ...(opts.region ? { region: opts.region } : {}),
  });
  const start = await callNoFollow(`/v1/auth/oidc/local/start?${query}`, { "CF-Connecting-IP": ip });
  expect(start.status).toBe(302);
  const state = setCookies(start).get("__Host-islet_oidc")?.value ?? "";
  const callback = new URL(await signInAtProvider(start.headers.get("Location") ?? "", account));
  const res = await callNoFollow(`${callback.pathname}${callback.search}`, {
    "CF-Connecting-IP": ip,
    Cookie: cookieHeader({ "__Host-islet_oidc": state }),
  });
  return { res, cookies: setCookies(res) };
}

const sessionWith = (cookies: Finished["cookies"]) =>
  call("GET", "/v1/auth/session", {
    headers: {
      Cookie: cookieHeader({ "__Host-islet_access": cookies.get("__Host-islet_access")?.value ?? "" }),
    },
  });

describe("OIDC sign-in", () => {
  it("redirects to the provider with code flow, PKCE S256, state and nonce", async () => {
    const res = await callNoFollow("/v1/auth/oidc/local/start");
    expect(res.status).toBe(302);
    const url = new URL(res.headers.get("Location") ?? "");
    const p = url.searchParams;
    expect(p.get("response_type")).toBe("code");
    expect(p.get("code_challenge_method")).toBe("S256");
    expect(p.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(p.get("nonce")).toBeTruthy();
    expect(p.get("redirect_uri")).toBe(`${testConfig().PUBLIC_URL}/v1/auth/oidc/local/callback`);
    const cookie = setCookies(res).get("__Host-islet_oidc");
    expect(cookie?.value).toBe(p.get("state"));
    expect(cookie?.attributes).toEqual(
      expect.arrayContaining(["httponly", "secure", "path=/", "samesite=lax"]),
    );
  });

  it("creates a verified account with its workspace on first sign-in and signs the browser in", async () => {
    const email = uniqueEmail("oidc");
    const { res, cookies } = await oidcSignIn(
      { email, name: "Grace Hopper" },
      { returnTo: "/welcome?x=1", region: "ap-south" },
    );
    expect(res.status).toBe(302);
    expect(res.headers.get("Location")).toBe("/welcome?x=1");
    expect(cookies.get("__Host-islet_refresh")?.attributes).toContain("httponly");
    const me = await sessionWith(cookies);
    const body = await json<{
      user: { email: string; emailVerified: boolean; hasPassword: boolean };
      workspace: { region: string };
    }>(me);
    expect(body.user).toMatchObject({ email, emailVerified: true, hasPassword: false });
    expect(body.workspace.region).toBe("ap-south");
  });

  it("signs the same provider account in to the same islet account next time", async () => {
    const account = { sub: crypto.randomUUID(), email: uniqueEmail("again") };
    const first = await json<{ user: { id: string } }>(
      await sessionWith((await oidcSignIn(account)).cookies),
    );
    const second = await json<{ user: { id: string } }>(
      await sessionWith((await oidcSignIn(account)).cookies),
    );
    expect(second.user.id).toBe(first.user.id);
    const owned = await controlDb(testConfig())
      .select()
      .from(memberships)
      .where(eq(memberships.userId, first.user.id));
    expect(owned).toHaveLength(1);
  });

  it("links to a verified password account with the same email; the password keeps working", async () => {
    const user = await signupUser();
    await controlDb(testConfig())
      .update(users)
      .set({ emailVerifiedAt: Date.now() })
      .where(eq(users.id, user.id));
    const { cookies } = await oidcSignIn({ email: user.email });
    expect((await json<{ user: { id: string } }>(await sessionWith(cookies))).user.id).toBe(user.id);
    expect((await loginUser(user.email, user.password)).accessToken).toBeTruthy();
  });

  it("takes over an unverified password account: its password is reset and its sessions end (seed 002)", async () => {
    const squatter = await signupUser();
    // A key the squatter made while unproven (accounts from before the verified-email rule could).
    await controlDb(testConfig())
      .update(users)
      .set({ emailVerifiedAt: Date.now() })
      .where(eq(users.id, squatter.id));
    const key = await mintKey(squatter.session.accessToken, squatter.workspace.id);
    await controlDb(testConfig())
      .update(users)
      .set({ emailVerifiedAt: null })
      .where(eq(users.id, squatter.id));
    const { cookies } = await oidcSignIn({ email: squatter.email });
    const keyAfter = await call("GET", `/v1/workspaces/${squatter.workspace.id}/tables`, {
      token: key.token,
    });
    expect(await errorCode(keyAfter)).toBe("credential_revoked");
    expect(
      (await json<{ user: { id: string; emailVerified: boolean } }>(await sessionWith(cookies))).user,
    ).toMatchObject({
      id: squatter.id,
      emailVerified: true,
    });
    const oldPassword = await call("POST", "/v1/auth/login", {
      body: { email: squatter.email, password: squatter.password },
      headers: { "CF-Connecting-IP": testIp() },
    });
    expect(oldPassword.status).toBe(401);
    const oldSession = await call("GET", "/v1/auth/session", { token: squatter.session.accessToken });
    expect(await errorCode(oldSession)).toBe("credential_revoked");
  });

  it("refuses an account whose email the provider has not verified", async () => {
    const { res } = await oidcSignIn({ email: uniqueEmail("unverified"), email_verified: false });
    expect(res.status).toBe(403);
    expect(await errorCode(res)).toBe("forbidden");
  });

  it("refuses a callback from another browser (state cookie missing or different)", async () => {
    const start = await callNoFollow("/v1/auth/oidc/local/start");
    const callback = new URL(
      await signInAtProvider(start.headers.get("Location") ?? "", { email: uniqueEmail() }),
    );
    const path = `${callback.pathname}${callback.search}`;
    const none = await callNoFollow(path);
    expect(await errorCode(none)).toBe("csrf_failed");
    const other = await callNoFollow(path, { Cookie: cookieHeader({ "__Host-islet_oidc": "f".repeat(64) }) });
    expect(await errorCode(other)).toBe("csrf_failed");
  });

  it("a callback works once: replaying it is refused", async () => {
    const ip = testIp();
    const start = await callNoFollow("/v1/auth/oidc/local/start", { "CF-Connecting-IP": ip });
    const state = setCookies(start).get("__Host-islet_oidc")?.value ?? "";
    const callback = new URL(
      await signInAtProvider(start.headers.get("Location") ?? "", { email: uniqueEmail() }),
    );
    const headers = { "CF-Connecting-IP": ip, Cookie: cookieHeader({ "__Host-islet_oidc": state }) };
    expect((await callNoFollow(`${callback.pathname}${callback.search}`, headers)).status).toBe(302);
    const replay = await callNoFollow(`${callback.pathname}${callback.search}`, headers);
    expect(replay.status).toBe(401);
    expect(await errorCode(replay)).toBe("invalid_token");
  });

  it("refuses a response naming another issuer (RFC 9207 mix-up defence)", async () => {
    const ip = testIp();
    const start = await callNoFollow("/v1/auth/oidc/local/start", { "CF-Connecting-IP": ip });
    const state = setCookies(start).get("__Host-islet_oidc")?.value ?? "";
    const callback = new URL(
      await signInAtProvider(start.headers.get("Location") ?? "", { email: uniqueEmail() }),
    );
    expect(callback.searchParams.get("iss")).toBeTruthy();
    callback.searchParams.set("iss", "https://evil.example");
    const res = await callNoFollow(`${callback.pathname}${callback.search}`, {
      "CF-Connecting-IP": ip,
      Cookie: cookieHeader({ "__Host-islet_oidc": state }),
    });
    expect(res.status).toBe(401);
    expect(await errorCode(res)).toBe("unauthorized");
  });

  it("refuses unknown providers and off-site return paths", async () => {
    const unknown = await call("GET", "/v1/auth/oidc/nope/start", {
      headers: { "CF-Connecting-IP": testIp() },
    });
    expect(await errorCode(unknown)).toBe("not_found");
    for (const returnTo of ["https://evil.example/", "//evil.example/x", "/\\evil.example"]) {
      const res = await call("GET", `/v1/auth/oidc/local/start?returnTo=${encodeURIComponent(returnTo)}`, {
        headers: { "CF-Connecting-IP": testIp() },
      });
      expect(res.status).toBe(400);
      expect(await errorCode(res)).toBe("invalid_request");
    }
  });
});
