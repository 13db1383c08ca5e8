import { describe, expect, it } from "vitest";
import { tenantDb } from "../../src/db/tenant/client";
import { call, errorCode, json, makeUser, makeWorkspace, testConfig } from "../helpers";
import { addMember, mintKey } from "../workspaces/fixtures";

async function setup() {
  const owner = await makeUser();
  const workspace = await makeWorkspace(owner);
  const base = `/v1/workspaces/${workspace.id}/tables`;
  return { owner, workspace, base };
}

const products = {
  name: "products",
  columns: [
    { name: "title", type: "text", notNull: true },
    { name: "price", type: "real" },
    { name: "qty", type: "integer", default: 0 },
    { name: "active", type: "boolean" },
    { name: "tags", type: "json" },
    { name: "sku", type: "text", unique: true },
    { name: "total", type: "formula", formula: "row.price * row.qty" },
  ],
};

type RowsBody = {
  rows: Record<string, unknown>[];
  nextCursor: string | null;
  meta?: { formulaErrors: unknown[] };
};

describe("tables", () => {
  it("creates, lists, reads and drops a table with confirmation", async () => {
    const { owner, base } = await setup();
    const created = await call("POST", base, { token: owner.token, body: products });
    expect(created.status).toBe(201);
    const list = await json<{ tables: { name: string }[] }>(await call("GET", base, { token: owner.token }));
    expect(list.tables.map((t) => t.name)).toEqual(["products"]);
    const again = await call("POST", base, { token: owner.token, body: products });
    expect([again.status, await errorCode(again)]).toEqual([409, "conflict"]);
    const noConfirm = await call("DELETE", `${base}/products`, { token: owner.token });
    expect([noConfirm.status, await errorCode(noConfirm)]).toEqual([409, "confirmation_required"]);
    expect(
      (await call("DELETE", `${base}/products`, { token: owner.token, body: { confirm: "products" } }))
        .status,
    ).toBe(204);
    expect((await call("GET", `${base}/products`, { token: owner.token })).status).toBe(404);
  });

  it.each([
    ["a reserved prefix", { name: "_islet_audit_log", columns: [{ name: "a", type: "text" }] }],
    [
      "an injection in the table name",
      { name: 'x"; DROP TABLE _islet_audit_log; --', columns: [{ name: "a", type: "text" }] },
    ],
    [
      "an injection in a column name",
      { name: "t", columns: [{ name: "a) ; DROP TABLE t; --", type: "text" }] },
    ],
    ["a keyword", { name: "select", columns: [{ name: "a", type: "text" }] }],
    ["a system column", { name: "t", columns: [{ name: "id", type: "integer" }] }],
    ["an unknown type", { name: "t", columns: [{ name: "a", type: "varchar" }] }],
    ["a broken formula", { name: "t", columns: [{ name: "f", type: "formula", formula: "row.a +" }] }],
    [
      "statements smuggled into a formula",
      { name: "t", columns: [{ name: "f", type: "formula", formula: "1); while(true){} (1" }] },
    ],
  ])("refuses %s with 400", async (_what, body) => {
    const { owner, base } = await setup();
    const res = await call("POST", base, { token: owner.token, body });
    expect([res.status, await errorCode(res)]).toEqual([400, "invalid_request"]);
  });

  it("lets viewers read but not write, and keys only with the right scope and table", async () => {
    const { owner, workspace, base } = await setup();
    await call("POST", base, { token: owner.token, body: products });
    const viewer = await addMember(workspace, "viewer");
    expect((await call("GET", `${base}/products/rows`, { token: viewer.token })).status).toBe(200);
    const write = await call("POST", `${base}/products/rows`, { token: viewer.token, body: { title: "x" } });
    expect([write.status, await errorCode(write)]).toEqual([403, "forbidden"]);
    const reader = await mintKey(owner.token, workspace.id, { scopes: ["data:read"] });
    const schema = await call("POST", base, { token: reader.token, body: { ...products, name: "other" } });
    expect([schema.status, await errorCode(schema)]).toEqual([403, "insufficient_scope"]);
    const confined = await mintKey(owner.token, workspace.id, { scopes: ["data:read"], tables: ["orders"] });
    const outside = await call("GET", `${base}/products/rows`, { token: confined.token });
    expect([outside.status, await errorCode(outside)]).toEqual([403, "forbidden"]);
  });
});

describe("rows", () => {
  it("inserts, reads, updates and deletes with types, defaults and a stored formula", async () => {
    const { owner, base } = await setup();
    await call("POST", base, { token: owner.token, body: products });
    const res = await call("POST", `${base}/products/rows`, {
      token: owner.token,
      body: { title: "Lamp", price: 12.5, qty: 2, active: true, tags: { color: "red" }, sku: "L-1" },
    });
    expect(res.status).toBe(201);
    const [row] = (await json<RowsBody>(res)).rows;
    expect(row).toMatchObject({
      title: "Lamp",
      price: 12.5,
      qty: 2,
      active: true,
      tags: { color: "red" },
      total: 25,
    });
    const id = row?.id as number;
    const patched = await call("PATCH", `${base}/products/rows/${id}`, {
      token: owner.token,
      body: { qty: 3 },
    });
    expect((await json<{ row: Record<string, unknown> }>(patched)).row).toMatchObject({
      qty: 3,
      total: 37.5,
    });
    expect((await call("DELETE", `${base}/products/rows/${id}`, { token: owner.token })).status).toBe(204);
    expect((await call("GET", `${base}/products/rows/${id}`, { token: owner.token })).status).toBe(404);
  });

  it.each([
    [{ title: 5 }, "title"],
    [{ title: "x", price: "cheap" }, "price"],
    [{ title: "x", qty: 1.5 }, "qty"],
    [{ title: "x", active: "yes" }, "active"],
    [{ title: "x", total: 3 }, "total"],
    [{ title: "x", nope: 1 }, "nope"],
    [{ price: 1 }, "title"],
  ])("refuses %j naming the column", async (body, column) => {
    const { owner, base } = await setup();
    await call("POST", base, { token: owner.token, body: products });
    const res = await call("POST", `${base}/products/rows`, { token: owner.token, body });
    expect(res.status).toBe(400);
    const err = await json<{ error: { code: string; details: { column: string } } }>(res);
    expect(err.error).toMatchObject({ code: "invalid_request", details: { column } });
  });

  it("bulk-inserts atomically: one bad row inserts nothing", async () => {
    const { owner, base } = await setup();
    await call("POST", base, { token: owner.token, body: products });
    const rows = Array.from({ length: 1000 }, (_, i) => ({ title: `t${i}`, sku: `s${i}`, price: i, qty: 1 }));
    expect((await call("POST", `${base}/products/rows`, { token: owner.token, body: { rows } })).status).toBe(
      201,
    );
    const dup = await call("POST", `${base}/products/rows`, {
      token: owner.token,
      body: {
        rows: [
          { title: "new", sku: "fresh" },
          { title: "dup", sku: "s1" },
        ],
      },
    });
    expect([dup.status, await errorCode(dup)]).toEqual([409, "conflict"]);
    const fresh = await call("GET", `${base}/products/rows?filter[sku][eq]=fresh`, { token: owner.token });
    expect((await json<RowsBody>(fresh)).rows).toHaveLength(0);
    const tooMany = await call("POST", `${base}/products/rows`, {
      token: owner.token,
      body: { rows: Array.from({ length: 1001 }, () => ({ title: "x" })) },
    });
    expect(tooMany.status).toBe(400);
  });

  it("stores null and reports a formula that throws, never a 500", async () => {
    const { owner, base } = await setup();
    await call("POST", base, {
      token: owner.token,
      body: {
        name: "f",
        columns: [
          { name: "a", type: "json" },
          { name: "b", type: "formula", formula: "row.a.deep.value" },
        ],
      },
    });
    const res = await call("POST", `${base}/f/rows`, {
      token: owner.token,
      body: { rows: [{ a: { deep: { value: 7 } } }, { a: {} }] },
    });
    const body = await json<RowsBody>(res);
    expect(body.rows.map((r) => r.b)).toEqual([7, null]);
    expect(body.meta?.formulaErrors).toMatchObject([{ row: 1, column: "b", kind: "runtime" }]);
  });

  it("filters, sorts, selects fields and pages with a stable cursor", async () => {
    const { owner, base } = await setup();
    await call("POST", base, { token: owner.token, body: products });
    const rows = Array.from({ length: 25 }, (_, i) => ({
      title: `item ${i}`,
      price: i % 5,
      qty: i,
      sku: `k${i}`,
    }));
    await call("POST", `${base}/products/rows`, { token: owner.token, body: { rows } });
    const get = async (q: string) =>
      json<RowsBody>(await call("GET", `${base}/products/rows?${q}`, { token: owner.token }));
    expect((await get("filter[price][gte]=3")).rows).toHaveLength(10);
    expect((await get("filter[qty][in]=1,2,3&filter[price][ne]=2")).rows.map((r) => r.qty)).toEqual([1, 3]);
    expect((await get("filter[title][like]=item 1%")).rows).toHaveLength(11);
    expect((await get("filter[active][is_null]=true")).rows).toHaveLength(25);
    // Issue 30: `filter[col]=value` is eq; a deep-object client (Swagger UI) sends the nested
    // object as JSON, which reads as written; other text stays the eq operand.
    expect((await get("filter[sku]=k3")).rows.map((r) => r.qty)).toEqual([3]);
    const deep = encodeURIComponent(JSON.stringify({ gte: 20, lt: "23" }));
    expect((await get(`filter[qty]=${deep}`)).rows.map((r) => r.qty)).toEqual([20, 21, 22]);
    expect((await get(`filter[title]=${encodeURIComponent('{"nope":"x"}')}`)).rows).toEqual([]);
    const fields = await get("fields=title&limit=1");
    expect(Object.keys(fields.rows[0] ?? {}).sort()).toEqual(["id", "title"]);

    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: RowsBody = await get(`sort=-price&limit=7${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...page.rows.map((r) => r.qty as number));
      // Rows inserted while paging do not shift the pages already read.
      if (seen.length === 7)
        await call("POST", `${base}/products/rows`, {
          token: owner.token,
          body: { title: "late", price: 9, sku: "late" },
        });
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
  });

  it("refuses tampered cursors and cursors of another sort order with 400", async () => {
    const { owner, base } = await setup();
    await call("POST", base, { token: owner.token, body: products });
    await call("POST", `${base}/products/rows`, {
      token: owner.token,
      body: { rows: [{ title: "a" }, { title: "b" }, { title: "c" }] },
    });
    const list = (q: string) => call("GET", `${base}/products/rows?${q}`, { token: owner.token });
    const first = await json<RowsBody>(await list("sort=title&limit=1"));
    expect(first.nextCursor).toBeTruthy();
    const b64 = (value: unknown) =>
      btoa(JSON.stringify(value)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    for (const [q, what] of [
      [`sort=-title&cursor=${first.nextCursor}`, "another sort"],
      [`sort=title&cursor=${b64([{ a: 1 }, 1, "title"])}`, "an object value"],
      [`sort=title&cursor=${b64(["a", 1.5, "title"])}`, "a fractional id"],
      [`sort=title&cursor=${b64(["a", 1])}`, "no sort"],
      [`sort=title&cursor=${b64({ v: "a", id: 1 })}`, "an object"],
    ] as const) {
      const res = await list(q);
      expect([res.status, await errorCode(res)], what).toEqual([400, "invalid_request"]);
    }
    const next = await json<RowsBody>(await list(`sort=title&limit=1&cursor=${first.nextCursor}`));
    expect(next.rows.map((r) => r.title)).toEqual(["b"]);
  });

  it("keeps injection attempts in filters, sorts and values harmless", async () => {
    const { owner, workspace, base } = await setup();
    await call("POST", base, { token: owner.token, body: products });
    const evil = `x'); DROP TABLE products; --`;
    await call("POST", `${base}/products/rows`, { token: owner.token, body: { title: evil } });
    const byValue = await call("GET", `${base}/products/rows?filter[title][eq]=${encodeURIComponent(evil)}`, {
      token: owner.token,
    });
    expect((await json<RowsBody>(byValue)).rows[0]?.title).toBe(evil);
    for (const q of [
      "sort=title;DROP TABLE products",
      "filter[title;--][eq]=1",
      "filter[title][or 1=1]=x",
      "fields=*",
    ]) {
      const res = await call("GET", `${base}/products/rows?${q}`, { token: owner.token });
      expect(res.status, q).toBe(400);
    }
    const db = await tenantDb(testConfig(), workspace);
    const tables = await db.execute(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'products'",
    );
    expect(tables.rows).toHaveLength(1);
  });

  it("computes a formula from the row as committed when updates of different columns race", async () => {
    const { owner, workspace, base } = await setup();
    await call("POST", base, { token: owner.token, body: products });
    const created = await call("POST", `${base}/products/rows`, {
      token: owner.token,
      body: { title: "w", price: 2, qty: 3 },
    });
    const id = (await json<RowsBody>(created)).rows[0]?.id;
    const db = await tenantDb(testConfig(), workspace);
    // Hold the write lock so both updates read and wait at the same time.
    const tx = await db.transaction("write");
    let updates: Promise<Response>[] = [];
    try {
      await tx.execute("UPDATE _islet_tables SET updated_at = updated_at WHERE name = 'products'");
      updates = [
        call("PATCH", `${base}/products/rows/${id}`, { token: owner.token, body: { price: 10 } }),
        call("PATCH", `${base}/products/rows/${id}`, { token: owner.token, body: { qty: 5 } }),
      ];
      await new Promise((resolve) => setTimeout(resolve, 300));
      await tx.commit();
    } finally {
      tx.close();
    }
    expect((await Promise.all(updates)).map((r) => r.status)).toEqual([200, 200]);
    const row = await json<{ row: Record<string, unknown> }>(
      await call("GET", `${base}/products/rows/${id}`, { token: owner.token }),
    );
    expect(row.row).toMatchObject({ price: 10, qty: 5, total: 50 });
  });

  it("audits each write in the same transaction", async () => {
    const { owner, workspace, base } = await setup();
    await call("POST", base, { token: owner.token, body: products });
    await call("POST", `${base}/products/rows`, {
      token: owner.token,
      body: { rows: [{ title: "a" }, { title: "b" }] },
    });
    const db = await tenantDb(testConfig(), workspace);
    const log = await db.execute("SELECT action, details FROM _islet_audit_log ORDER BY seq");
    const actions = log.rows.map((r) => r.action);
    expect(actions).toContain("table.create");
    expect(actions).toContain("row.bulk_insert");
    const bulk = log.rows.find((r) => r.action === "row.bulk_insert");
    expect(JSON.parse(String(bulk?.details))).toMatchObject({ table: "products", count: 2 });
  });
});
