// Issue 13 item 9: formulas draw from one sandbox budget per request, and tables cap their
// formula columns.
import { describe, expect, it } from "vitest";
import { MAX_FORMULA_COLUMNS } from "../../src/services/tables/check";
import { call, errorCode, json, makeUser, makeWorkspace } from "../helpers";

const spin = "(() => { while (true) {} })()";

async function setup() {
  const owner = await makeUser();
  const workspace = await makeWorkspace(owner);
  return { owner, base: `/v1/workspaces/${workspace.id}` };
}

describe("the request's sandbox budget", () => {
  it("is shared by every formula of a write: once spent, 422 sandbox_error kind budget", async () => {
    const { owner, base } = await setup();
    const columns = [
      { name: "a", type: "integer" },
      ...["f1", "f2", "f3"].map((name) => ({ name, type: "formula", formula: spin })),
    ];
    const created = await call("POST", `${base}/tables`, {
      token: owner.token,
      body: { name: "t", columns },
    });
    expect(created.status).toBe(201);
    const res = await call("POST", `${base}/tables/t/rows`, { token: owner.token, body: { a: 1 } });
    expect(res.status).toBe(422);
    expect(await json(res)).toMatchObject({ error: { code: "sandbox_error", details: { kind: "budget" } } });
    // Nothing was written, and the next request has a budget of its own.
    const list = await json<{ rows: unknown[] }>(
      await call("GET", `${base}/tables/t/rows`, { token: owner.token }),
    );
    expect(list.rows).toEqual([]);
    const cheap = await call("POST", `${base}/tables`, {
      token: owner.token,
      body: {
        name: "u",
        columns: [
          { name: "a", type: "integer" },
          { name: "d", type: "formula", formula: "row.a * 2" },
        ],
      },
    });
    expect(cheap.status).toBe(201);
    expect((await call("POST", `${base}/tables/u/rows`, { token: owner.token, body: { a: 2 } })).status).toBe(
      201,
    );
  });

  it(`caps formula columns at ${MAX_FORMULA_COLUMNS} per table`, async () => {
    const { owner, base } = await setup();
    const columns = Array.from({ length: MAX_FORMULA_COLUMNS + 1 }, (_, i) => ({
      name: `f${i}`,
      type: "formula",
      formula: "1",
    }));
    const res = await call("POST", `${base}/tables`, { token: owner.token, body: { name: "many", columns } });
    expect([res.status, await errorCode(res)]).toEqual([400, "invalid_request"]);
  });
});
