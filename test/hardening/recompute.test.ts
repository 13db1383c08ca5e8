// Issue 13 item 9: a changed formula over a large table is recomputed one chunk per write lock,
// so other writers are not held off for the whole table, and an unfinished recompute resumes.
import { describe, expect, it } from "vitest";
import { tenantDb } from "../../src/db/tenant/client";
import { call, errorCode, json, makeUser, makeWorkspace, testConfig } from "../helpers";

async function bigTable(rows: number) {
  const owner = await makeUser();
  const workspace = await makeWorkspace(owner);
  const base = `/v1/workspaces/${workspace.id}/tables`;
  const created = await call("POST", base, {
    token: owner.token,
    body: { name: "big", columns: [{ name: "n", type: "integer" }] },
  });
  expect(created.status).toBe(201);
  for (let start = 0; start < rows; start += 1000) {
    const batch = Array.from({ length: Math.min(1000, rows - start) }, (_, i) => ({ n: start + i }));
    expect(
      (await call("POST", `${base}/big/rows`, { token: owner.token, body: { rows: batch } })).status,
    ).toBe(201);
  }
  const db = await tenantDb(testConfig(), workspace);
  return { owner, workspace, base, db };
}

describe("formula recompute over a large table", () => {
  it("computes every row across chunks and leaves no cursor behind", async () => {
    const { owner, base, db } = await bigTable(2500);
    const res = await call("PATCH", `${base}/big`, {
      token: owner.token,
      body: { addColumns: [{ name: "double", type: "formula", formula: "row.n * 2" }] },
    });
    expect(res.status).toBe(200);
    expect((await json<{ meta: { recomputedRows: number } }>(res)).meta.recomputedRows).toBe(2500);
    const wrong = await db.execute(
      'SELECT count(*) AS n FROM big WHERE "double" IS NULL OR CAST("double" AS INTEGER) != n * 2',
    );
    expect(Number(wrong.rows[0]?.n)).toBe(0);
    const catalog = await db.execute("SELECT recompute FROM _islet_tables WHERE name = 'big'");
    expect(catalog.rows[0]?.recompute).toBeNull();
  });

  it("an unfinished recompute refuses other changes and resumes on request", async () => {
    const { owner, base, db } = await bigTable(1500);
    await call("PATCH", `${base}/big`, {
      token: owner.token,
      body: { addColumns: [{ name: "plus", type: "formula", formula: "row.n + 1" }] },
    });
    // As a request that ran out of sandbox time leaves it: rows after 700 hold stale values.
    await db.batch([
      'UPDATE big SET "plus" = NULL WHERE id > 700',
      `UPDATE _islet_tables SET recompute = '{"columns":["plus"],"after":700}' WHERE name = 'big'`,
    ]);
    const shown = await json<{ table: { pendingRecompute?: unknown } }>(
      await call("GET", `${base}/big`, { token: owner.token }),
    );
    expect(shown.table.pendingRecompute).toEqual({ columns: ["plus"], after: 700 });
    const other = await call("PATCH", `${base}/big`, {
      token: owner.token,
      body: { addColumns: [{ name: "note", type: "text" }] },
    });
    expect([other.status, await errorCode(other)]).toEqual([409, "conflict"]);
    const resumed = await call("PATCH", `${base}/big`, {
      token: owner.token,
      body: { resumeRecompute: true },
    });
    expect(resumed.status).toBe(200);
    expect((await json<{ meta: { recomputedRows: number } }>(resumed)).meta.recomputedRows).toBe(800);
    const stale = await db.execute(
      'SELECT count(*) AS n FROM big WHERE "plus" IS NULL OR CAST("plus" AS INTEGER) != n + 1',
    );
    expect(Number(stale.rows[0]?.n)).toBe(0);
    const catalog = await db.execute("SELECT recompute FROM _islet_tables WHERE name = 'big'");
    expect(catalog.rows[0]?.recompute).toBeNull();
  });
});
