// A laptop's first hour (issue 30): a seed loop on a local stack never meets a 429. `npm start`
// writes DEFAULT_PLAN=development, so each new workspace gets the development plan's limits; the
// same loop on the free plan is refused at its 100 requests a minute (architecture §4).
import { describe, expect, it } from "vitest";
import { PLANS } from "../../src/lib/plans";
import { setWorkspacePlan } from "../../src/services/operator";
import { provisionWorkspace } from "../../src/services/workspaces/provision";
import { call, makeUser, testConfig, testContext } from "../helpers";

const ROWS = 500;

async function workspaceOn(defaultPlan: "development" | "free") {
  const owner = await makeUser();
  const workspace = await provisionWorkspace({
    ctx: testContext(owner.actor, testConfig({ DEFAULT_PLAN: defaultPlan })),
    input: { name: "Seeded", slug: `seed-${owner.id.slice(-10)}`, region: "eu-west", ownerUserId: owner.id },
  });
  const base = `/v1/workspaces/${workspace.id}/tables`;
  const created = await call("POST", base, {
    token: owner.token,
    body: { name: "notes", columns: [{ name: "body", type: "text" }] },
  });
  expect(created.status).toBe(201);
  return { owner, workspace, rows: `${base}/notes/rows` };
}

/** Inserts one row at a time, as a seed script does; stops at the first refusal. */
async function seed(token: string, path: string): Promise<{ inserted: number; refusal?: Response }> {
  for (let i = 0; i < ROWS; i++) {
    const res = await call("POST", path, { token, body: { body: `note ${i}` } });
    if (res.status !== 201) return { inserted: i, refusal: res };
    await res.arrayBuffer();
  }
  return { inserted: ROWS };
}

describe("the development plan", () => {
  it("is what a local stack's new workspace gets, and 500 rows seeded in a loop meet no 429", async () => {
    const { owner, workspace, rows } = await workspaceOn("development");
    expect(workspace.plan).toBe("development");
    const result = await seed(owner.token, rows);
    expect(result.refusal?.status).toBeUndefined();
    expect(result.inserted).toBe(ROWS);
    const listed = await call("GET", `${rows}?limit=1`, { token: owner.token });
    expect(listed.headers.get("RateLimit-Limit")).toBe(String(PLANS.development.perMinute));
  }, 120_000);

  it("is not the free plan: the same loop there is refused with 429 at 100 a minute", async () => {
    const { owner, workspace, rows } = await workspaceOn("free");
    expect(workspace.plan).toBe("free");
    const result = await seed(owner.token, rows);
    expect(result.refusal?.status).toBe(429);
    expect(result.inserted).toBeLessThan(PLANS.free.perMinute);
  }, 120_000);

  it("exists only outside production: an operator cannot put a production workspace on it", async () => {
    const { workspace } = await workspaceOn("free");
    const operator = { type: "operator" as const, operatorId: "oncall" };
    const production = { ...testConfig(), ENVIRONMENT: "production" as const };
    await expect(
      setWorkspacePlan({
        ctx: testContext(operator, production),
        input: { workspaceId: workspace.id, plan: "development", reason: "seeding the launch data" },
      }),
    ).rejects.toMatchObject({ code: "invalid_request" });
    const local = await setWorkspacePlan({
      ctx: testContext(operator),
      input: { workspaceId: workspace.id, plan: "development", reason: "seeding the launch data" },
    });
    expect(local.plan).toBe("development");
  });
});
