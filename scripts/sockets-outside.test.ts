// A stopped credential's sockets, seen from outside (architecture §13): over the network against the real
// Worker under wrangler's local runtime, with the clients people use — the `ws` package, Node's own
// WebSocket and Chromium's — every way authority ends closes the realtime socket and the MCP socket
// with 4401, and the client's close event fires: the close handshake completes, so a client's
// cleanup and reconnect logic runs. The sockets only listen (they never send a frame): a client
// whose first frame is its answer to the server's close is the case the runtime got wrong.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocketPackage from "ws";
import { type Stack, seedOwner, seedUser, startStack } from "../bench/_stack";
import type { Config } from "../src/config";
import { controlDb } from "../src/db/control/client";
import { memberships } from "../src/db/control/schema";
import type { Role } from "../src/lib/tenancy";
import { launchChromium } from "./chromium";

/**
 * How long a close event may take here: architecture §13's second, and some slack for a loaded machine.
 * A close handshake that does not complete is ended only by the fallbacks, all later: Chromium
 * gives up on the server after 2 s, the hub's eviction ends it 10 s after the hub's last event,
 * `ws` waits 30 s. (bench/agents measures the latency itself.)
 */
const CLOSE_SEEN_MS = 1_500;

let stack: Stack;
let base: string;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  stack = await startStack({ worker: true });
  base = stack.workerUrl ?? "";
  browser = await launchChromium();
  page = await browser.newPage();
  // A page of islet's own origin (the dashboard's CSP allows connect-src 'self'): the socket's
  // Origin is then islet's, as the dashboard's would be.
  await page.goto(`${base}/login`);
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function api<T = Record<string, unknown>>(
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : {}) as T;
}

const mintKey = (token: string, workspaceId: string, extra: Record<string, unknown> = {}) =>
  api<{ key: { id: string }; token: string }>("POST", `/v1/workspaces/${workspaceId}/keys`, token, {
    name: "socket key",
    scopes: ["data:read"],
    ...extra,
  });

async function addMember(config: Config, workspaceId: string, role: Role) {
  const user = await seedUser(config);
  await controlDb(config)
    .insert(memberships)
    .values({ workspaceId, userId: user.userId, role, createdAt: Date.now() });
  return user;
}

interface Closed {
  code: number;
  readyState: number;
}

interface OpenSocket {
  name: string;
  closed: Promise<Closed>;
}

const CLIENTS = ["ws", "node", "chromium"] as const;
const PATHS = { realtime: "/v1/realtime", mcp: "/mcp/ws" } as const;

/** One listening socket per client and per kind (realtime, MCP), each opened with its own ticket. */
async function openSockets(token: string, workspaceId: string): Promise<OpenSocket[]> {
  const opened: OpenSocket[] = [];
  for (const client of CLIENTS) {
    for (const [kind, path] of Object.entries(PATHS)) {
      const { ticket } = await api<{ ticket: string }>("POST", "/v1/realtime/ticket", token, { workspaceId });
      const url = `${base.replace(/^http/, "ws")}${path}?ticket=${ticket}`;
      const protocols = kind === "mcp" ? ["mcp"] : [];
      opened.push({ name: `${client} ${kind}`, ...(await open(client, url, protocols)) });
    }
  }
  return opened;
}

/** Opens a socket with `client`; resolves once it is open, with its close event to come. */
async function open(
  client: (typeof CLIENTS)[number],
  url: string,
  protocols: string[],
): Promise<{ closed: Promise<Closed> }> {
  if (client === "chromium") {
    const id = crypto.randomUUID();
    // Runs in the page: the closed promise stays there, under `id`, until awaited below.
    await page.evaluate(
      ({ id, url, protocols }) =>
        new Promise<void>((resolve, reject) => {
          const ws = new WebSocket(url, protocols);
          const scope = globalThis as { sockets?: Record<string, Promise<Closed>> };
          scope.sockets = scope.sockets ?? {};
          scope.sockets[id] = new Promise((done) =>
            ws.addEventListener("close", (e) => done({ code: e.code, readyState: ws.readyState })),
          );
          ws.addEventListener("open", () => resolve());
          ws.addEventListener("error", () => reject(new Error(`${url} refused`)));
        }),
      { id, url, protocols },
    );
    const closed = page
      .evaluate(
        (id) =>
          (globalThis as unknown as { sockets: Record<string, Promise<Closed>> }).sockets[
            id
          ] as Promise<Closed>,
        id,
      )
      // The browser is closed at the end with the page: a socket still open then never closed.
      .catch(() => ({ code: -1, readyState: -1 }));
    return { closed };
  }
  const ws = client === "ws" ? new WebSocketPackage(url, protocols) : new WebSocket(url, protocols);
  const closed = new Promise<Closed>((done) =>
    ws.addEventListener("close", (e: { code: number }) => done({ code: e.code, readyState: ws.readyState })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve());
    ws.addEventListener("error", () => reject(new Error(`${url} refused`)));
  });
  return { closed };
}

/** Every socket's close event fires with `code`, the socket CLOSED, by `from` + CLOSE_SEEN_MS. */
async function expectClosed(sockets: OpenSocket[], code = 4401, from = Date.now()) {
  const late = new Promise<Closed>((resolve) =>
    setTimeout(() => resolve({ code: -1, readyState: -1 }), from + CLOSE_SEEN_MS - Date.now()),
  );
  const seen = await Promise.all(
    sockets.map(async (s) => ({ socket: s.name, ...(await Promise.race([s.closed, late])) })),
  );
  expect(seen).toEqual(sockets.map((s) => ({ socket: s.name, code, readyState: 3 })));
}

describe("a stopped credential's sockets close at the client", () => {
  it("when its key is revoked", async () => {
    const owner = await seedOwner(stack.vars);
    const key = await mintKey(owner.token, owner.workspace.id);
    const sockets = await openSockets(key.token, owner.workspace.id);
    await api("DELETE", `/v1/workspaces/${owner.workspace.id}/keys/${key.key.id}`, owner.token);
    await expectClosed(sockets);
  }, 60_000);

  it("when its key was rotated and the grace period ends", async () => {
    const owner = await seedOwner(stack.vars);
    const key = await mintKey(owner.token, owner.workspace.id);
    const sockets = await openSockets(key.token, owner.workspace.id);
    await api("POST", `/v1/workspaces/${owner.workspace.id}/keys/${key.key.id}/rotate`, owner.token, {
      graceSeconds: 1,
    });
    await expectClosed(sockets, 4401, Date.now() + 1_000);
  }, 60_000);

  it("when its key expires", async () => {
    const owner = await seedOwner(stack.vars);
    const expiresAt = Date.now() + 3_000;
    const key = await mintKey(owner.token, owner.workspace.id, { expiresAt });
    const sockets = await openSockets(key.token, owner.workspace.id);
    await expectClosed(sockets, 4401, expiresAt);
  }, 60_000);

  it("when its session is signed out", async () => {
    const owner = await seedOwner(stack.vars);
    const sockets = await openSockets(owner.token, owner.workspace.id);
    await api("DELETE", `/v1/auth/sessions/${owner.sessionId}`, owner.token);
    await expectClosed(sockets);
  }, 60_000);

  it("when its holder is removed from the workspace: their session's and their key's", async () => {
    const owner = await seedOwner(stack.vars);
    const admin = await addMember(owner.config, owner.workspace.id, "admin");
    const key = await mintKey(admin.token, owner.workspace.id);
    const sockets = [
      ...(await openSockets(admin.token, owner.workspace.id)),
      ...(await openSockets(key.token, owner.workspace.id)),
    ];
    await api("DELETE", `/v1/workspaces/${owner.workspace.id}/members/${admin.userId}`, owner.token);
    await expectClosed(sockets);
  }, 60_000);

  it("when its holder is demoted", async () => {
    const owner = await seedOwner(stack.vars);
    const member = await addMember(owner.config, owner.workspace.id, "member");
    const sockets = await openSockets(member.token, owner.workspace.id);
    await api("PATCH", `/v1/workspaces/${owner.workspace.id}/members/${member.userId}`, owner.token, {
      role: "viewer",
    });
    await expectClosed(sockets);
  }, 60_000);

  it("when its holder deletes their account", async () => {
    const owner = await seedOwner(stack.vars);
    const key = await mintKey(owner.token, owner.workspace.id);
    const sockets = [
      ...(await openSockets(owner.token, owner.workspace.id)),
      ...(await openSockets(key.token, owner.workspace.id)),
    ];
    // Without a password, a sign-in in the last ten minutes is the proof (seeded just now).
    await api("DELETE", "/v1/account", owner.token, { confirm: owner.email });
    await expectClosed(sockets);
  }, 60_000);

  it("when the workspace is deleted", async () => {
    const owner = await seedOwner(stack.vars);
    const viewer = await addMember(owner.config, owner.workspace.id, "viewer");
    const sockets = await openSockets(viewer.token, owner.workspace.id);
    await api("DELETE", `/v1/workspaces/${owner.workspace.id}`, owner.token, {
      confirm: owner.workspace.slug,
    });
    await expectClosed(sockets);
  }, 60_000);
});
