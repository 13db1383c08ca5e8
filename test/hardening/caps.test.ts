// Issue 31 items 4, 5 and 8: every shared resource is capped by plan, a create at the cap is
// refused (403 `plan_limit`, details { resource, limit, plan }) with nothing kept, and a parallel
// burst of creates leaves exactly the cap (a check before the insert let a burst pass by a few).
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/control/client";
import { memberships, workspaces } from "../../src/db/control/schema";
import { type CappedResource, capOf, PLANS, workspacesAllowed } from "../../src/lib/plans";
import { call, json, makeUser, testConfig } from "../helpers";
import { makeTeam } from "../workspaces/fixtures";

/** Parallel creates in the burst: more than the room left, so some must be refused. */
const BURST = 8;
/** Room left when the burst starts: the burst must leave exactly the cap. */
const ROOM = 3;

/**
 * Fills `resource` to `cap - ROOM` one at a time, then sends a burst of BURST creates at once:
 * exactly ROOM succeed, every other one is refused with `plan_limit`, and `held()` is the cap.
 */
async function burstAtCap(
  resource: CappedResource,
  create: (i: number) => Promise<Response>,
  held: () => Promise<number>,
  room = ROOM,
): Promise<void> {
  const limit = capOf("free", resource);
  for (let i = 0; i < limit - room; i++) {
    const res = await create(i);
    expect(res.status, await res.clone().text()).toBeLessThan(300);
  }
  const answers = await Promise.all(Array.from({ length: BURST }, (_, k) => create(limit - room + k)));
  const refused = answers.filter((r) => r.status >= 300);
  expect(answers.length - refused.length).toBe(room);
  for (const res of refused) {
    expect(res.status).toBe(403);
    expect(await json(res)).toMatchObject({
      error: { code: "plan_limit", details: { resource, limit, plan: "free" } },
    });
  }
  expect(await held()).toBe(limit);
  // At the cap, one more is refused too, and still nothing is kept.
  const over = await create(limit + BURST);
  expect([over.status, ((await json(over)) as { error: { code: string } }).error.code]).toEqual([
    403,
    "plan_limit",
  ]);
  expect(await held()).toBe(limit);
}

const countOf = async (res: Promise<Response>, field: string) =>
  ((await json(await res)) as Record<string, unknown[]>)[field]?.length ?? -1;

describe("per-workspace caps hold under a parallel burst", () => {
  it("tables", async () => {
    const { workspace, owner } = await makeTeam();
    const base = `/v1/workspaces/${workspace.id}/tables`;
    await burstAtCap(
      "tables",
      (i) =>
        call("POST", base, {
          token: owner.token,
          body: { name: `t${i}`, columns: [{ name: "body", type: "text" }] },
        }),
      () => countOf(call("GET", base, { token: owner.token }), "tables"),
    );
  });

  it("functions", async () => {
    const { workspace, owner } = await makeTeam();
    const base = `/v1/workspaces/${workspace.id}/functions`;
    await burstAtCap(
      "functions",
      (i) =>
        call("POST", base, {
          token: owner.token,
          body: { name: `fn${i}`, code: "function main(args) { return args; }" },
        }),
      () => countOf(call("GET", base, { token: owner.token }), "functions"),
    );
  });

  it("secrets, where setting one that exists is not a create", async () => {
    const { workspace, owner } = await makeTeam();
    const base = `/v1/workspaces/${workspace.id}/secrets`;
    const put = (name: string) =>
      call("PUT", `${base}/${name}`, { token: owner.token, body: { value: "v-1234" } });
    await burstAtCap(
      "secrets",
      (i) => put(`S${i}`),
      () => countOf(call("GET", base, { token: owner.token }), "secrets"),
    );
    expect((await put("S0")).status).toBe(200);
  });

  it("API accounts, where putting one that exists is not a create", async () => {
    const { workspace, owner } = await makeTeam();
    const base = `/v1/workspaces/${workspace.id}/accounts`;
    const put = (name: string) =>
      call("PUT", `${base}/${name}`, {
        token: owner.token,
        body: {
          baseUrl: `${env.TEST_OUTBOUND_FIXTURE_URL}/api`,
          authHeaderName: "X-Api-Key",
          authHeaderValue: "upstream-secret-1234",
        },
      });
    await burstAtCap(
      "api_accounts",
      (i) => put(`acct${i}`),
      () => countOf(call("GET", base, { token: owner.token }), "accounts"),
    );
    expect((await put("acct0")).status).toBe(200);
  });

  it("webhook endpoints (item 5)", async () => {
    const { workspace, owner } = await makeTeam();
    const base = `/v1/workspaces/${workspace.id}/webhooks`;
    await burstAtCap(
      "webhooks",
      (i) =>
        call("POST", base, {
          token: owner.token,
          body: { url: `${env.TEST_OUTBOUND_FIXTURE_URL}/hooks/cap-${i}`, events: ["webhook.test"] },
        }),
      () => countOf(call("GET", base, { token: owner.token }), "webhooks"),
    );
  });

  it("API keys (now one statement: count and insert)", async () => {
    const { workspace, owner } = await makeTeam();
    const base = `/v1/workspaces/${workspace.id}/keys`;
    await burstAtCap(
      "keys",
      (i) => call("POST", base, { token: owner.token, body: { name: `k${i}`, scopes: ["data:read"] } }),
      () => countOf(call("GET", base, { token: owner.token }), "keys"),
    );
  });

  it("issuers", async () => {
    const { workspace, admin } = await makeTeam();
    const base = `/v1/workspaces/${workspace.id}/issuers`;
    await burstAtCap(
      "issuers",
      (i) =>
        call("POST", base, {
          token: admin.token,
          body: {
            name: `App ${i}`,
            kind: "hs256",
            secret: "s".repeat(40),
            issuer: `https://auth${i}.myapp.test`,
            audience: "myapp",
          },
        }),
      () => countOf(call("GET", base, { token: admin.token }), "issuers"),
      PLANS.free.maxIssuers,
    );
  });
});

describe("workspaces per user (item 4)", () => {
  it("cap what a user owns, under a parallel burst, keeping nothing of a refused one", async () => {
    const user = await makeUser();
    const owned = async () => {
      const rows = await controlDb(testConfig())
        .select()
        .from(memberships)
        .where(and(eq(memberships.userId, user.id), eq(memberships.role, "owner")));
      const made = await controlDb(testConfig())
        .select()
        .from(workspaces)
        .where(eq(workspaces.createdBy, user.id));
      // A refused create leaves neither a membership nor a workspace row (nor a database).
      expect(made.length).toBe(rows.length);
      return rows.length;
    };
    await burstAtCap(
      "workspaces",
      (i) =>
        call("POST", "/v1/workspaces", { token: user.token, body: { name: `Mine ${i}`, region: "eu-west" } }),
      owned,
      PLANS.free.maxWorkspaces,
    );
  });

  it("are allowed by the best plan among the workspaces a user owns, never below free's", () => {
    expect(workspacesAllowed([])).toEqual({ limit: PLANS.free.maxWorkspaces, plan: "free" });
    expect(workspacesAllowed(["free", "business", "pro"])).toEqual({
      limit: PLANS.business.maxWorkspaces,
      plan: "business",
    });
  });
});
