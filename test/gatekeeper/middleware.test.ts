import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/control/client";
import { workspaces } from "../../src/db/control/schema";
import { callWithEnv } from "../auth/helpers";
import { call, errorCode, json, makeUser, makeWorkspace, testConfig } from "../helpers";

let minted = 0;
async function mintKey(token: string, workspaceId: string, body: Record<string, unknown>) {
  const res = await call("POST", `/v1/workspaces/${workspaceId}/keys`, {
    token,
    body: { name: `k ${++minted}`, scopes: ["data:read", "keys:manage"], ...body },
  });
  expect(res.status).toBe(201);
  return (await json<{ token: string; key: { id: string } }>(res)) as { token: string; key: { id: string } };
}

describe("the gatekeeper on every /v1 request", () => {
  it("sends RateLimit headers with the plan's limit", async () => {
    const owner = await makeUser();
    const ws = await makeWorkspace(owner);
    const res = await call("GET", `/v1/workspaces/${ws.id}`, { token: owner.token });
    expect(res.status).toBe(200);
    expect(res.headers.get("RateLimit-Limit")).toBe("100");
    expect(Number(res.headers.get("RateLimit-Remaining"))).toBeLessThan(100);
    expect(Number(res.headers.get("RateLimit-Reset"))).toBeGreaterThanOrEqual(0);
  });

  it("a key's own cap below the plan wins, with 429 rate_limited and Retry-After", async () => {
    const owner = await makeUser();
    const ws = await makeWorkspace(owner);
    const capped = await mintKey(owner.token, ws.id, { perMinute: 3 });
    const other = await mintKey(owner.token, ws.id, {});
    for (let i = 0; i < 3; i++) {
      expect((await call("GET", `/v1/workspaces/${ws.id}`, { token: capped.token })).status).toBe(200);
    }
    const refused = await call("GET", `/v1/workspaces/${ws.id}`, { token: capped.token });
    expect(refused.status).toBe(429);
    expect(await errorCode(refused)).toBe("rate_limited");
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(refused.headers.get("RateLimit-Limit")).toBe("3");
    expect((await call("GET", `/v1/workspaces/${ws.id}`, { token: capped.token })).status).toBe(429);
    // One audit event per principal per window, however many refusals.
    let events: { action: string; target: { id: string } }[] = [];
    for (let i = 0; i < 50 && events.length === 0; i++) {
      const res = await call("GET", `/v1/workspaces/${ws.id}/audit?action=ratelimit.exceeded`, {
        token: owner.token,
      });
      events = (await json<{ events: { action: string; target: { id: string } }[] }>(res)).events;
      if (events.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(events).toHaveLength(1);
    expect(events[0]?.target.id).toBe(capped.key.id);
    // Limits are per principal: another key of the same workspace is unaffected.
    expect((await call("GET", `/v1/workspaces/${ws.id}`, { token: other.token })).status).toBe(200);
  });

  it("a plan upgrade takes effect on the next request", async () => {
    const owner = await makeUser();
    const ws = await makeWorkspace(owner);
    const requests = Array.from({ length: 100 }, () =>
      call("GET", `/v1/workspaces/${ws.id}`, { token: owner.token }),
    );
    const statuses = (await Promise.all(requests)).map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length + statuses.filter((s) => s === 429).length).toBe(100);
    const over = await call("GET", `/v1/workspaces/${ws.id}`, { token: owner.token });
    expect(over.status).toBe(429);
    // Billing upgrades the plan in the control database; no cache stands in the way.
    await controlDb(testConfig()).update(workspaces).set({ plan: "pro" }).where(eq(workspaces.id, ws.id));
    const next = await call("GET", `/v1/workspaces/${ws.id}`, { token: owner.token });
    expect(next.status).toBe(200);
    expect(next.headers.get("RateLimit-Limit")).toBe("1000");
  });

  it("reports this month's usage per key as the Gatekeeper counted it", async () => {
    const owner = await makeUser();
    const ws = await makeWorkspace(owner);
    const key = await mintKey(owner.token, ws.id, { monthlyCap: 1000 });
    for (let i = 0; i < 4; i++) await call("GET", `/v1/workspaces/${ws.id}`, { token: key.token });
    const res = await call("GET", `/v1/workspaces/${ws.id}/usage`, { token: owner.token });
    expect(res.status).toBe(200);
    const usage = await json<{
      month: string;
      plan: string;
      keys: { keyId: string; used: number }[];
      keysTotal: number;
      workspaceUsed: number;
    }>(res);
    expect(usage.plan).toBe("free");
    expect(usage.month).toMatch(/^\d{4}-\d{2}$/);
    expect(usage.keys.find((k) => k.keyId === key.key.id)?.used).toBe(4);
    expect(usage.keysTotal).toBe(4);
    // The whole workspace: the mint, the key's four requests (this read counts after it answers).
    expect(usage.workspaceUsed).toBeGreaterThanOrEqual(5);
  });

  it("pages the keys it reports, so one read costs a bounded number of Gatekeeper calls", async () => {
    const owner = await makeUser();
    const ws = await makeWorkspace(owner);
    const minted = [];
    for (let i = 0; i < 3; i++) minted.push((await mintKey(owner.token, ws.id, {})).key.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${cursor}` : "?limit=2";
      const page = await json<{ keys: { keyId: string }[]; nextCursor: string | null }>(
        await call("GET", `/v1/workspaces/${ws.id}/usage${query}`, { token: owner.token }),
      );
      expect(page.keys.length).toBeLessThanOrEqual(2);
      seen.push(...page.keys.map((k) => k.keyId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.sort()).toEqual(minted.sort());
  });

  it("usage is for admins only", async () => {
    const owner = await makeUser();
    const ws = await makeWorkspace(owner);
    const stranger = await makeUser();
    const res = await call("GET", `/v1/workspaces/${ws.id}/usage`, { token: stranger.token });
    expect(res.status).toBe(404);
  });
});

describe("a Gatekeeper that stops answering", () => {
  // A paused object: every call on its stub is accepted and never answered. (The real object
  // shares workerd with the Worker here, so it cannot be stopped on its own.)
  const paused = {
    idFromName: (n: string) => ({ name: n }),
    get: () => new Proxy({}, { get: () => () => new Promise(() => {}) }),
  };

  it("fails closed within its 1 s deadline: 503 with Retry-After, nothing admitted or written", {
    timeout: 10_000,
  }, async () => {
    const owner = await makeUser();
    const ws = await makeWorkspace(owner);
    const made = await call("POST", `/v1/workspaces/${ws.id}/tables`, {
      token: owner.token,
      body: { name: "t", columns: [{ name: "a", type: "text" }] },
    });
    expect(made.status).toBe(201);
    const overrides = { GATEKEEPER: paused as never, GATEKEEPER_TIMEOUT_MS: "1000" };
    for (const [method, path, body] of [
      ["GET", `/v1/workspaces/${ws.id}`, undefined],
      ["POST", `/v1/workspaces/${ws.id}/tables/t/rows`, { a: "never" }],
    ] as const) {
      const res = await callWithEnv(overrides, method, path, {
        token: owner.token,
        ...(body ? { body } : {}),
        headers: { "Idempotency-Key": `gk-${crypto.randomUUID()}` },
      });
      expect([res.status, await errorCode(res)]).toEqual([503, "unavailable"]);
      expect(res.headers.get("Retry-After")).toBe("1");
    }
    const rows = await json<{ rows: unknown[] }>(
      await call("GET", `/v1/workspaces/${ws.id}/tables/t/rows`, { token: owner.token }),
    );
    expect(rows.rows).toEqual([]);
  });
});
