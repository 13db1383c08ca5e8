// PATCH /tables/:table: columns and indexes change atomically, existing rows are carried (and
// formulas recomputed), and every refusal leaves the table exactly as it was.
import { describe, expect, it } from "vitest";
import { tenantDb } from "../../src/db/tenant/client";
import { assertCatalogUnchanged, readTable } from "../../src/services/tables/catalog";
import { call, errorCode, json, makeUser, makeWorkspace, testConfig } from "../helpers";
import { addMember, mintKey } from "../workspaces/fixtures";

interface TableBody {
  table: { name: string; columns: { name: string; type: string; unique?: boolean }[]; indexes: unknown[] };
  meta: {
    droppedIndexes: string[];
    recomputedRows: number;
    formulaErrors: { row: number; column: string }[];
    formulaErrorCount: number;
  };
}
type RowsBody = { rows: Record<string, unknown>[] };

const items = {
  name: "items",
  columns: [
    { name: "title", type: "text", notNull: true },
    { name: "price", type: "real" },
    { name: "qty", type: "integer" },
    { name: "sku", type: "text", unique: true },
  ],
  indexes: [{ name: "items_by_price", columns: ["price", "qty"] }],
};

async function setup(rows: Record<string, unknown>[] = []) {
  const owner = await makeUser();
  const workspace = await makeWorkspace(owner);
  const base = `/v1/workspaces/${workspace.id}/tables`;
  const created = await call("POST", base, { token: owner.token, body: items });
  expect(created.status).toBe(201);
  if (rows.length > 0) {
    const inserted = await call("POST", `${base}/items/rows`, { token: owner.token, body: { rows } });
    expect(inserted.status).toBe(201);
  }
  const patch = (body: unknown, token = owner.token) => call("PATCH", `${base}/items`, { token, body });
  const list = async () =>
    (await json<RowsBody>(await call("GET", `${base}/items/rows?sort=id`, { token: owner.token }))).rows;
  const schema = async () => {
    const db = await tenantDb(testConfig(), workspace);
    const result = await db.execute(
      "SELECT type, name FROM sqlite_master WHERE tbl_name = 'items' AND type = 'index' ORDER BY name",
    );
    const columns = await db.execute("SELECT name FROM pragma_table_info('items') ORDER BY cid");
    return {
      indexes: result.rows.map((r) => String(r.name)).filter((n) => !n.startsWith("sqlite_autoindex")),
      columns: columns.rows.map((r) => String(r.name)),
    };
  };
  return { owner, workspace, base, patch, list, schema };
}

const three = [
  { title: "a", price: 2, qty: 3, sku: "A" },
  { title: "b", price: 1.5, qty: 4, sku: "B" },
  { title: "c", price: null, qty: 1, sku: "C" },
];

describe("PATCH /tables/:table", () => {
  it("creates unique columns and declared indexes as named indexes", async () => {
    const { schema } = await setup();
    expect((await schema()).indexes).toEqual(["_islet_unique:items.sku", "items_by_price"]);
  });

  it("adds columns to a table with rows: defaults filled, a stored formula computed for every row", async () => {
    const { patch, list, base, owner } = await setup(three);
    const res = await patch({
      addColumns: [
        { name: "note", type: "text" },
        { name: "stock", type: "integer", notNull: true, default: 0 },
        { name: "total", type: "formula", formula: "row.price * row.qty" },
      ],
    });
    expect(res.status).toBe(200);
    const body = await json<TableBody>(res);
    expect(body.table.columns.map((c) => c.name)).toEqual([
      "title",
      "price",
      "qty",
      "sku",
      "note",
      "stock",
      "total",
    ]);
    expect(body.meta.recomputedRows).toBe(3);
    const rows = await list();
    expect(rows.map((r) => [r.note, r.stock, r.total])).toEqual([
      [null, 0, 6],
      [null, 0, 6],
      [null, 0, 0],
    ]);
    // New rows get the defaults and the formula too.
    const next = await call("POST", `${base}/items/rows`, {
      token: owner.token,
      body: { title: "d", price: 1, qty: 7 },
    });
    expect((await json<RowsBody>(next)).rows[0]).toMatchObject({ stock: 0, total: 7 });
  });

  it("recomputes a changed formula, storing null and reporting the rows where it throws", async () => {
    const { patch, list } = await setup(three);
    await patch({ addColumns: [{ name: "total", type: "formula", formula: "row.price * row.qty" }] });
    const res = await patch({
      setFormulas: [
        {
          name: "total",
          formula: "row.price === null ? (() => { throw new Error('no price') })() : row.price + row.qty",
        },
      ],
    });
    expect(res.status).toBe(200);
    const body = await json<TableBody>(res);
    expect(body.meta.formulaErrorCount).toBe(1);
    expect(body.meta.formulaErrors[0]).toMatchObject({ column: "total" });
    const rows = await list();
    expect(body.meta.formulaErrors[0]?.row).toBe(rows[2]?.id);
    expect(rows.map((r) => r.total)).toEqual([5, 5.5, null]);
  });

  it("renames a column: data kept, its index and uniqueness follow it", async () => {
    const { patch, list, schema, base, owner } = await setup(three);
    const res = await patch({
      renameColumns: [
        { from: "sku", to: "code" },
        { from: "price", to: "cost" },
      ],
    });
    expect(res.status).toBe(200);
    const body = await json<TableBody>(res);
    expect(body.table.indexes).toEqual([{ name: "items_by_price", columns: ["cost", "qty"] }]);
    expect((await list()).map((r) => [r.code, r.cost])).toEqual([
      ["A", 2],
      ["B", 1.5],
      ["C", null],
    ]);
    expect((await schema()).indexes).toEqual(["_islet_unique:items.code", "items_by_price"]);
    const dup = await call("POST", `${base}/items/rows`, {
      token: owner.token,
      body: { title: "d", code: "A" },
    });
    expect([dup.status, await errorCode(dup)]).toEqual([409, "conflict"]);
    // The old name is gone for filters and writes.
    const old = await call("GET", `${base}/items/rows?filter[sku][eq]=A`, { token: owner.token });
    expect(old.status).toBe(400);
  });

  it("drops columns, with the indexes they were part of (reported), and unique columns", async () => {
    const { patch, list, schema } = await setup(three);
    const res = await patch({ dropColumns: ["qty", "sku"] });
    expect(res.status).toBe(200);
    const body = await json<TableBody>(res);
    expect(body.meta.droppedIndexes).toEqual(["items_by_price"]);
    expect(body.table.indexes).toEqual([]);
    expect(await schema()).toEqual({
      indexes: [],
      columns: ["id", "created_at", "updated_at", "title", "price"],
    });
    expect(Object.keys((await list())[0] ?? {}).sort()).toEqual([
      "created_at",
      "id",
      "price",
      "title",
      "updated_at",
    ]);
  });

  it("adds and drops indexes, unique ones checked against existing rows", async () => {
    const { patch, schema } = await setup(three);
    const added = await patch({
      dropIndexes: ["items_by_price"],
      addIndexes: [
        { name: "items_title", columns: ["title"], unique: true },
        { name: "items_recent", columns: ["created_at"] },
      ],
    });
    expect(added.status).toBe(200);
    expect((await schema()).indexes).toEqual(["_islet_unique:items.sku", "items_recent", "items_title"]);
    const dup = await patch({ addIndexes: [{ name: "items_qty", columns: ["qty"], unique: true }] });
    expect(dup.status).toBe(200); // 3, 4, 1: distinct
    const bad = await patch({ addColumns: [{ name: "flag", type: "integer", default: 1, unique: true }] });
    expect([bad.status, await errorCode(bad)]).toEqual([409, "conflict"]);
  });

  it("refuses a change that fails part-way and leaves everything as it was", async () => {
    const { patch, schema, list } = await setup([...three, { title: "a", price: 9, qty: 9, sku: "Z" }]);
    const before = await schema();
    const res = await patch({
      dropColumns: ["qty"],
      renameColumns: [{ from: "price", to: "cost" }],
      addColumns: [{ name: "note", type: "text" }],
      addIndexes: [{ name: "items_title", columns: ["title"], unique: true }], // "a" twice
    });
    expect([res.status, await errorCode(res)]).toEqual([409, "conflict"]);
    expect(await schema()).toEqual(before);
    expect((await list())[0]).toMatchObject({ price: 2, qty: 3 });
    const again = await patch({ addColumns: [{ name: "note", type: "text" }] });
    expect(again.status).toBe(200);
  });

  it.each([
    ["an empty change", {}, 400, "invalid_request"],
    [
      "a notNull column without default",
      { addColumns: [{ name: "n", type: "text", notNull: true }] },
      400,
      "invalid_request",
    ],
    ["a system column", { dropColumns: ["created_at"] }, 400, "invalid_request"],
    ["an unknown column", { dropColumns: ["nope"] }, 404, "not_found"],
    ["an unknown index", { dropIndexes: ["nope"] }, 404, "not_found"],
    ["a rename onto an existing column", { renameColumns: [{ from: "price", to: "qty" }] }, 409, "conflict"],
    ["an existing column added again", { addColumns: [{ name: "title", type: "text" }] }, 409, "conflict"],
    [
      "an index over an unknown column",
      { addIndexes: [{ name: "ix", columns: ["nope"] }] },
      400,
      "invalid_request",
    ],
    [
      "an index named like the table",
      { addIndexes: [{ name: "items", columns: ["qty"] }] },
      400,
      "invalid_request",
    ],
    [
      "an index with a reserved name",
      { addIndexes: [{ name: "_islet_x", columns: ["qty"] }] },
      400,
      "invalid_request",
    ],
    ["a formula on a plain column", { setFormulas: [{ name: "qty", formula: "1" }] }, 400, "invalid_request"],
    [
      "a broken formula",
      { addColumns: [{ name: "f", type: "formula", formula: "row.qty +" }] },
      400,
      "invalid_request",
    ],
    [
      "an injected column name",
      { renameColumns: [{ from: "qty", to: 'q"; DROP TABLE items; --' }] },
      400,
      "invalid_request",
    ],
    ["an unknown change", { truncate: true }, 400, "invalid_request"],
  ])("refuses %s", async (_what, body, status, code) => {
    const { patch, schema } = await setup(three);
    const before = await schema();
    const res = await patch(body);
    expect([res.status, await errorCode(res)]).toEqual([status, code]);
    expect(await schema()).toEqual(before);
  });

  it("refuses dropping or renaming a column a formula still reads, unless the formula changes too", async () => {
    const { patch } = await setup(three);
    await patch({ addColumns: [{ name: "total", type: "formula", formula: "row.price * row.qty" }] });
    const drop = await patch({ dropColumns: ["qty"] });
    expect([drop.status, await errorCode(drop)]).toEqual([409, "conflict"]);
    const rename = await patch({ renameColumns: [{ from: "price", to: "cost" }] });
    expect([rename.status, await errorCode(rename)]).toEqual([409, "conflict"]);
    const together = await patch({
      renameColumns: [{ from: "price", to: "cost" }],
      setFormulas: [{ name: "total", formula: "row.cost * row.qty" }],
    });
    expect(together.status).toBe(200);
    expect((await json<TableBody>(together)).meta.recomputedRows).toBe(3);
  });

  it("refuses an index name taken by another table", async () => {
    const { patch, base, owner } = await setup();
    await call("POST", base, {
      token: owner.token,
      body: { name: "other", columns: [{ name: "a", type: "text" }] },
    });
    const res = await patch({ addIndexes: [{ name: "other", columns: ["qty"] }] });
    expect([res.status, await errorCode(res)]).toEqual([409, "conflict"]);
  });

  it("needs schema:write as a member; keys confined to other tables cannot alter it", async () => {
    const { patch, workspace, owner } = await setup();
    const viewer = await addMember(workspace, "viewer");
    const asViewer = await patch({ addColumns: [{ name: "x", type: "text" }] }, viewer.token);
    expect([asViewer.status, await errorCode(asViewer)]).toEqual([403, "forbidden"]);
    const dataOnly = await mintKey(owner.token, workspace.id, { scopes: ["data:write"] });
    const noScope = await patch({ addColumns: [{ name: "x", type: "text" }] }, dataOnly.token);
    expect([noScope.status, await errorCode(noScope)]).toEqual([403, "insufficient_scope"]);
    const elsewhere = await mintKey(owner.token, workspace.id, {
      scopes: ["schema:write"],
      tables: ["other"],
    });
    const confined = await patch({ addColumns: [{ name: "x", type: "text" }] }, elsewhere.token);
    expect(confined.status).toBe(403);
    const allowed = await mintKey(owner.token, workspace.id, { scopes: ["schema:write"], tables: ["items"] });
    expect((await patch({ addColumns: [{ name: "x", type: "text" }] }, allowed.token)).status).toBe(200);
  });

  it("audits the change by name, in the same transaction", async () => {
    const { patch, workspace } = await setup(three);
    await patch({
      addColumns: [{ name: "total", type: "formula", formula: "row.qty * 2" }],
      dropIndexes: ["items_by_price"],
    });
    const db = await tenantDb(testConfig(), workspace);
    const log = await db.execute("SELECT details FROM _islet_audit_log WHERE action = 'table.alter'");
    expect(log.rows).toHaveLength(1);
    expect(JSON.parse(String(log.rows[0]?.details))).toEqual({
      changes: { dropIndexes: ["items_by_price"], addColumns: [{ name: "total", type: "formula" }] },
      recomputedRows: 3,
      formulaErrors: 0,
    });
  });
});

describe("row writes racing a schema change", () => {
  it("refuses a write planned against a definition that changed before it committed", async () => {
    const { patch, workspace } = await setup(three);
    const db = await tenantDb(testConfig(), workspace);
    const planned = await readTable(db, "items");
    expect((await patch({ dropColumns: ["qty"] })).status).toBe(200);
    const tx = await db.transaction("write");
    try {
      const refused = await assertCatalogUnchanged(tx, planned).catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: "conflict" });
      await expect(assertCatalogUnchanged(tx, await readTable(db, "items"))).resolves.toBeUndefined();
    } finally {
      await tx.rollback();
      tx.close();
    }
  });

  it("a write that waited for the lock while the table changed gets 409, not a 500", async () => {
    const { base, owner, workspace, list } = await setup(three);
    const db = await tenantDb(testConfig(), workspace);
    // Hold the write lock, as a concurrent schema change would.
    const tx = await db.transaction("write");
    let write: Promise<Response> | undefined;
    try {
      await tx.execute("SELECT 1 FROM items LIMIT 1");
      await tx.execute("UPDATE _islet_tables SET updated_at = updated_at WHERE name = 'items'");
      // The write reads the definition (title still there), then waits for the lock.
      write = call("POST", `${base}/items/rows`, { token: owner.token, body: { title: "late", qty: 1 } });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const table = await readTable(db, "items");
      await tx.batch([
        'ALTER TABLE "items" DROP COLUMN "title"',
        {
          sql: "UPDATE _islet_tables SET columns = ? WHERE name = 'items'",
          args: [JSON.stringify(table.columns.filter((c) => c.name !== "title"))],
        },
      ]);
      await tx.commit();
    } finally {
      tx.close();
    }
    const res = await (write as Promise<Response>);
    expect([res.status, await errorCode(res)]).toEqual([409, "conflict"]);
    expect(await list()).toHaveLength(3);
  });
});
