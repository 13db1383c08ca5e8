// Shared test helpers: real users, sessions and workspaces made through islet's own services and
// control database, and a tiny client for the real Worker (`exports.default.fetch`).
import { env, exports } from "cloudflare:workers";
import { type Config, parseConfig } from "../src/config";
import { controlDb } from "../src/db/control/client";
import type { Region, WorkspaceRow } from "../src/db/control/schema";
import { sessions, users } from "../src/db/control/schema";
import { randomToken, sha256Hex } from "../src/lib/crypto";
import { newId } from "../src/lib/ids";
import { signAccessToken } from "../src/lib/jwt";
import { createLogger } from "../src/lib/logger";
import { SandboxBudget } from "../src/sandbox/budget";
import type { Actor } from "../src/services/core/actor";
import type { ServiceContext } from "../src/services/core/context";
import { provisionWorkspace } from "../src/services/workspaces/provision";

export function testConfig(overrides: Record<string, string> = {}): Config {
  const result = parseConfig({ ...env, ...overrides });
  if (!result.ok) throw new Error(`test config invalid: ${result.problems.join("; ")}`);
  return result.config;
}

export function testContext(
  actor: Actor = { type: "system", reason: "test" },
  config = testConfig(),
): ServiceContext {
  return {
    env,
    config,
    actor,
    requestId: newId("req"),
    ip: "203.0.113.7",
    userAgent: "vitest",
    logger: createLogger({ test: true }),
    waitUntil: () => {},
    sandboxBudget: new SandboxBudget(),
  };
}

export interface TestUser {
  id: string;
  email: string;
  sessionId: string;
  token: string;
  actor: Actor;
}

/** A verified user with a live session row and a signed access token. */
export async function makeUser(opts: { email?: string } = {}): Promise<TestUser> {
  const config = testConfig();
  const db = controlDb(config);
  const id = newId("usr");
  const email = opts.email ?? `${id}@example.test`;
  const now = Date.now();
  const sessionId = newId("ses");
  await db.batch([
    db.insert(users).values({ id, email, name: "Test User", emailVerifiedAt: now, createdAt: now }),
    db.insert(sessions).values({
      id: sessionId,
      userId: id,
      refreshHash: await sha256Hex(randomToken()),
      createdAt: now,
      lastUsedAt: now,
      expiresAt: now + 30 * 86_400_000,
    }),
  ]);
  const token = await signAccessToken(config, id, sessionId);
  return { id, email, sessionId, token, actor: { type: "user", userId: id, sessionId, issuedAt: now } };
}

/** A provisioned workspace (its own devdb namespace) owned by `owner`. */
export async function makeWorkspace(owner: TestUser, opts: { region?: Region } = {}): Promise<WorkspaceRow> {
  const slug = `ws-${newId("s").slice(-10)}`;
  return provisionWorkspace({
    ctx: testContext(owner.actor),
    input: { name: "Test workspace", slug, region: opts.region ?? "eu-west", ownerUserId: owner.id },
  });
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Calls the real Worker. Bodies are sent as JSON unless a string is given; redirects are answers, not followed. */
export async function call(method: string, path: string, opts: CallOptions = {}): Promise<Response> {
  const headers = new Headers(opts.headers);
  if (opts.token) headers.set("Authorization", `Bearer ${opts.token}`);
  let body: BodyInit | undefined;
  if (typeof opts.body === "string") body = opts.body;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  }
  if (!headers.has("CF-Connecting-IP")) headers.set("CF-Connecting-IP", "203.0.113.7");
  return exports.default.fetch(
    new Request(`http://islet.test${path}`, { method, headers, body, redirect: "manual" }),
  );
}

export async function json<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

/** Asserts the error envelope and returns its code. */
export async function errorCode(res: Response): Promise<string> {
  const body = (await res.json()) as { error?: { code?: string; requestId?: string } };
  if (!body.error?.code || !body.error.requestId)
    throw new Error(`not an error envelope: ${JSON.stringify(body)}`);
  return body.error.code;
}
