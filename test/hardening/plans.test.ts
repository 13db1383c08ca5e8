// Issue 13 item 8: plans are not self-service, a workspace's allowance is shared by all its
// principals, keys and issuers are capped by plan, and a child key counts against its parent.
import { describe, expect, it } from "vitest";
import { PLANS } from "../../src/lib/plans";
import { workspaceOnPlan } from "../audit/helpers";
import { call, errorCode, json, makeUser } from "../helpers";
import { makeTeam, mintKey } from "../workspaces/fixtures";

describe("plan boundaries", () => {
  it("share one per-minute allowance across every key of a workspace", async () => {
    const team = await makeTeam();
    const ws = team.workspace.id;
    const { perMinute, workspacePerMinute } = PLANS.free;
    const keysNeeded = Math.ceil(workspacePerMinute / perMinute) + 1;
    const keys = [];
    for (let i = 0; i < keysNeeded; i++)
      keys.push(await mintKey(team.owner.token, ws, { scopes: ["data:read"] }));
    let admitted = 0;
    const refusals: unknown[] = [];
    for (const key of keys) {
      // Each key stays within its own per-minute limit; together they exceed the workspace's.
      const answers = await Promise.all(
        Array.from({ length: perMinute }, () => call("GET", `/v1/workspaces/${ws}`, { token: key.token })),
      );
      for (const res of answers) {
        if (res.status === 200) admitted++;
        else refusals.push(await json(res));
      }
    }
    // The owner's requests that minted the keys were the workspace's too.
    expect(admitted).toBe(workspacePerMinute - keys.length);
    expect(refusals[0]).toMatchObject({
      error: { code: "rate_limited", details: { rule: "workspace-minute:free" } },
    });
  });

  it("keep each rule set's own counter: a busy member of a paid workspace is not limited on account routes", async () => {
    const { owner, workspace } = await workspaceOnPlan("pro");
    const over = PLANS.free.perMinute + 10;
    const answers = await Promise.all(
      Array.from({ length: over }, () =>
        call("GET", `/v1/workspaces/${workspace.id}`, { token: owner.token }),
      ),
    );
    expect(answers.every((r) => r.status === 200)).toBe(true);
    expect((await call("GET", "/v1/workspaces", { token: owner.token })).status).toBe(200);
  });

  it("are not spent by callers who are refused or not members", async () => {
    const team = await makeTeam();
    const ws = team.workspace.id;
    const used = async () =>
      (
        await json<{ workspaceUsed: number }>(
          await call("GET", `/v1/workspaces/${ws}/usage`, { token: team.owner.token }),
        )
      ).workspaceUsed;
    const before = await used();
    const outsider = await makeUser();
    for (let i = 0; i < 5; i++) {
      expect((await call("GET", `/v1/workspaces/${ws}/tables`, { token: outsider.token })).status).toBe(404);
    }
    // Only the first usage read itself was counted in between.
    expect((await used()) - before).toBe(1);
  });

  it("cap live keys by plan", async () => {
    const team = await makeTeam();
    const ws = team.workspace.id;
    for (let i = 0; i < PLANS.free.maxKeys; i++) await mintKey(team.owner.token, ws);
    const over = await call("POST", `/v1/workspaces/${ws}/keys`, {
      token: team.owner.token,
      body: { name: "one too many", scopes: ["data:read"] },
    });
    expect([over.status, await errorCode(over)]).toEqual([403, "plan_limit"]);
  });

  it("count a child key's requests against its parent's monthly cap", async () => {
    const team = await makeTeam();
    const ws = team.workspace.id;
    const parent = await mintKey(team.owner.token, ws, {
      scopes: ["data:read", "keys:manage"],
      monthlyCap: 4,
    });
    const child = await mintKey(parent.token, ws, { scopes: ["data:read"] }); // the parent's 1st request
    for (let i = 0; i < 3; i++) {
      expect((await call("GET", `/v1/workspaces/${ws}`, { token: child.token })).status).toBe(200);
    }
    const parentAgain = await call("GET", `/v1/workspaces/${ws}`, { token: parent.token });
    expect([parentAgain.status, await errorCode(parentAgain)]).toEqual([429, "rate_limited"]);
    const childAgain = await call("GET", `/v1/workspaces/${ws}`, { token: child.token });
    expect(childAgain.status).toBe(429);
  });
});
