// GET /v1/workspaces/:id/audit: filters, keyset cursor, validation and access.
import { describe, expect, it } from "vitest";
import { call, errorCode, json, makeUser, makeWorkspace } from "../helpers";
import { addMember } from "../workspaces/fixtures";
import { directTenant, seedAuditRows } from "./helpers";

interface Page {
  events: {
    seq: number;
    action: string;
    actor: { type: string; id: string | null };
    ts: number;
    details: unknown;
  }[];
  nextCursor: string | null;
}

async function seeded() {
  const owner = await makeUser();
  const workspace = await makeWorkspace(owner);
  const tenant = await directTenant(workspace);
  const base = 1_700_000_000_000;
  await seedAuditRows(tenant, 30, (i) => ({
    ts: base + i * 1000,
    action: i % 3 === 0 ? "key.revoke" : i % 3 === 1 ? "key.create" : "table.create",
    actor_id: i % 2 === 0 ? "usr_even" : "usr_odd",
  }));
  tenant.close();
  const get = async (query: string) => {
    const res = await call("GET", `/v1/workspaces/${workspace.id}/audit${query}`, { token: owner.token });
    expect(res.status).toBe(200);
    return json<Page>(res);
  };
  return { owner, workspace, base, get };
}

describe("GET /audit", () => {
  it("pages newest first with a keyset cursor that visits every event once", async () => {
    const { get } = await seeded();
    const seen: number[] = [];
    let cursor: string | null = "";
    while (cursor !== null) {
      const page: Page = await get(`?limit=7${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.events.length).toBeLessThanOrEqual(7);
      seen.push(...page.events.map((e) => e.seq));
      cursor = page.nextCursor;
    }
    expect(seen).toHaveLength(30);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
    expect(new Set(seen).size).toBe(30);
  });

  it("filters by exact action, entity prefix, actor and time range", async () => {
    const { get, base } = await seeded();
    const revokes = await get("?action=key.revoke&limit=100");
    expect(revokes.events).toHaveLength(10);
    expect(revokes.events.every((e) => e.action === "key.revoke")).toBe(true);
    const keys = await get("?action=key.*&limit=100");
    expect(keys.events).toHaveLength(20);
    const odd = await get("?actor=usr_odd&limit=100");
    expect(odd.events).toHaveLength(15);
    expect(odd.events.every((e) => e.actor.id === "usr_odd")).toBe(true);
    const window = await get(`?from=${base + 10_000}&to=${new Date(base + 20_000).toISOString()}&limit=100`);
    expect(window.events.map((e) => e.ts).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => base + (10 + i) * 1000),
    );
    const combined = await get(`?action=key.create&actor=usr_odd&from=${base}&limit=100`);
    expect(combined.events.every((e) => e.action === "key.create" && e.actor.id === "usr_odd")).toBe(true);
    expect(combined.events.length).toBeGreaterThan(0);
  });

  it("returns parsed details and the chain fields", async () => {
    const { get } = await seeded();
    const [first] = (await get("?limit=1")).events;
    expect(first).toMatchObject({
      details: { i: 29 },
      prevHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it("rejects malformed parameters with invalid_request", async () => {
    const { owner, workspace } = await seeded();
    for (const query of [
      "?limit=0",
      "?limit=501",
      "?cursor=abc",
      "?from=yesterday",
      "?action=DROP%20TABLE",
    ]) {
      const res = await call("GET", `/v1/workspaces/${workspace.id}/audit${query}`, { token: owner.token });
      expect(res.status, query).toBe(400);
      expect(await errorCode(res)).toBe("invalid_request");
    }
  });

  it("is refused to members and viewers", async () => {
    const owner = await makeUser();
    const workspace = await makeWorkspace(owner);
    for (const role of ["member", "viewer"] as const) {
      const user = await addMember(workspace, role);
      const res = await call("GET", `/v1/workspaces/${workspace.id}/audit`, { token: user.token });
      expect(await errorCode(res)).toBe("forbidden");
    }
    const admin = await addMember(workspace, "admin");
    expect((await call("GET", `/v1/workspaces/${workspace.id}/audit`, { token: admin.token })).status).toBe(
      200,
    );
  });
});
