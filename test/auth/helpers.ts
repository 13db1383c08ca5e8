// Helpers for the account and session tests: real signups through the API, the dev outbox,
// cookies as a browser would keep them, and the real app under a changed environment.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import { buildApp } from "../../src/app";
import { newId } from "../../src/lib/ids";
import { call, json } from "../helpers";

/** A fresh documentation-range /64 (per-address rules key IPv6 by /64), so per-IP limits of one test never touch another. */
export const testIp = () =>
  `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:${Math.floor(Math.random() * 0xffff).toString(16)}::1`;

/** A random 127/8 address: the dev outbox answers loopback callers only (per-IP limits stay apart). */
export const loopbackIp = () =>
  `127.${Math.floor(Math.random() * 250) + 1}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;

export const uniqueEmail = (label = "user") => `${label}-${newId("e").slice(-12)}@example.test`;
/** Long, random, never in the breached list. */
export const strongPassword = () => `Kite-${newId("p").slice(-16)}-lantern`;

export interface SessionBody {
  id: string;
  accessToken: string;
  refreshToken: string;
  accessExpiresAt: number;
  refreshExpiresAt: number;
  csrfToken?: string;
}

export interface SignedUpUser {
  id: string;
  email: string;
  password: string;
  ip: string;
  session: SessionBody;
  workspace: { id: string; slug: string; region: string };
}

/** Signs up through the API (Bearer mode) and returns the account and its first session. */
export async function signupUser(
  opts: { email?: string; password?: string; region?: string; name?: string } = {},
): Promise<SignedUpUser> {
  const email = opts.email ?? uniqueEmail();
  const password = opts.password ?? strongPassword();
  const ip = testIp();
  const res = await call("POST", "/v1/auth/signup", {
    body: { email, password, region: opts.region ?? "eu-west", ...(opts.name ? { name: opts.name } : {}) },
    headers: { "CF-Connecting-IP": ip },
  });
  if (res.status !== 201) throw new Error(`signup: ${res.status} ${await res.text()}`);
  const body = await json<{
    user: { id: string };
    session: SessionBody;
    workspace: SignedUpUser["workspace"];
  }>(res);
  return { id: body.user.id, email, password, ip, session: body.session, workspace: body.workspace };
}

export async function loginUser(email: string, password: string, ip = testIp()): Promise<SessionBody> {
  const res = await call("POST", "/v1/auth/login", {
    body: { email, password },
    headers: { "CF-Connecting-IP": ip },
  });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
  return (await json<{ session: SessionBody }>(res)).session;
}

export interface OutboxMessage {
  to: string;
  subject: string;
  text: string;
  tag: string;
  ts: number;
}

/** The dev outbox, newest first, as GET /v1/dev/outbox shows it. */
export async function outbox(to: string): Promise<OutboxMessage[]> {
  const res = await call("GET", `/v1/dev/outbox?to=${encodeURIComponent(to)}`, {
    headers: { "CF-Connecting-IP": loopbackIp() },
  });
  expect(res.status).toBe(200);
  return (await json<{ messages: OutboxMessage[] }>(res)).messages;
}

/** The token in the newest email of a kind (`verify_email`, `password_reset`). */
export async function mailedToken(to: string, tag: string): Promise<string> {
  const message = (await outbox(to)).find((m) => m.tag === tag);
  const token = message && /token: ([0-9a-f]{64})/.exec(message.text)?.[1];
  if (!token) throw new Error(`no ${tag} email for ${to}`);
  return token;
}

export interface SetCookie {
  value: string;
  attributes: string[];
}

/** The Set-Cookie headers of a response by cookie name; attributes lower-cased. */
export function setCookies(res: Response): Map<string, SetCookie> {
  const out = new Map<string, SetCookie>();
  for (const header of res.headers.getSetCookie()) {
    const [pair, ...attributes] = header.split(";").map((s) => s.trim());
    const eq = (pair ?? "").indexOf("=");
    out.set((pair ?? "").slice(0, eq), {
      value: decodeURIComponent((pair ?? "").slice(eq + 1)),
      attributes: attributes.map((a) => a.toLowerCase()),
    });
  }
  return out;
}

/** A `Cookie` header from name → value. */
export const cookieHeader = (cookies: Record<string, string>) =>
  Object.entries(cookies)
    .map(([k, v]) => `${k}=${v}`)
    .join("; ");

/** The real app, with some of the Worker's settings changed (e.g. a provisioner that fails). */
export async function callWithEnv(
  overrides: Record<string, unknown>,
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers = new Headers(opts.headers);
  if (opts.token) headers.set("Authorization", `Bearer ${opts.token}`);
  if (!headers.has("CF-Connecting-IP")) headers.set("CF-Connecting-IP", testIp());
  let body: string | undefined;
  if (typeof opts.body === "string") body = opts.body;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers.set("Content-Type", "application/json");
  }
  const ctx = createExecutionContext();
  const res = await buildApp().fetch(
    new Request(`http://islet.test${path}`, { method, headers, body }),
    { ...env, ...overrides },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

/**
 * Like `call`, but redirects are returned, not followed: `exports.default.fetch` would follow
 * a 302 back into this same Worker whatever the Location's host.
 */
export async function callNoFollow(path: string, headers: Record<string, string> = {}): Promise<Response> {
  const h = new Headers(headers);
  if (!h.has("CF-Connecting-IP")) h.set("CF-Connecting-IP", testIp());
  return exports.default.fetch(new Request(`http://islet.test${path}`, { headers: h, redirect: "manual" }));
}
