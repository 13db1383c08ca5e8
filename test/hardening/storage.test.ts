// Issue 31 item 7: a tenant database's size and rows are measured and capped by plan; writes past
// the cap get 507 `storage_limit` with the figures, reads and deletes keep working, and the usage
// API shows the figures. The measuring and checking functions take the limits, so they are tested
// against a real tenant database at limits of any size; the end-to-end path reaches the free
// plan's real row cap by filling the table inside the database (one statement), not by HTTP.
import { describe, expect, it } from "vitest";
import { tenantDb } from "../../src/db/tenant/client";
import { ApiError } from "../../src/lib/errors";
import { PLANS } from "../../src/lib/plans";
import { TursoProvisioner } from "../../src/provision/turso";
import { assertWithinStorage, measureStorage, workspaceStorage } from "../../src/services/storage";
import { call, errorCode, json, makeUser, makeWorkspace, testConfig, testContext } from "../helpers";

async function workspaceWithTable() {
  const owner = await makeUser();
  const workspace = await makeWorkspace(owner);
  const base = `/v1/workspaces/${workspace.id}`;
  const created = await call("POST", `${base}/tables`, {
    token: owner.token,
    body: { name: "notes", columns: [{ name: "body", type: "text" }] },
  });
  expect(created.status).toBe(201);
  return { owner, workspace, base, tenant: await tenantDb(testConfig(), workspace) };
}

/** Inserts `n` rows into `notes` inside the database, in one statement. */
const fill = (tenant: Awaited<ReturnType<typeof tenantDb>>, n: number) =>
  tenant.execute({
    sql: `WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?)
          INSERT INTO notes (created_at, updated_at, body) SELECT 0, 0, 'row ' || i FROM k`,
    args: [n],
  });

const refusal = (fn: () => void): ApiError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error("not refused");
};

describe("storage measurement and cap", () => {
  it("measures a real tenant database: page_count × page_size, and the workspace's own rows", async () => {
    const { tenant } = await workspaceWithTable();
    await fill(tenant, 25);
    const figures = await measureStorage(tenant);
    const pages = await tenant.execute("PRAGMA page_count");
    const size = await tenant.execute("PRAGMA page_size");
    expect(figures.bytes).toBe(Number(pages.rows[0]?.[0]) * Number(size.rows[0]?.[0]));
    // Islet's own tables (audit log, catalog) hold rows too; they are not the workspace's.
    expect(figures).toMatchObject({ rows: 25, source: "pages" });
    await expect(measureStorage(tenant, 8192)).resolves.toMatchObject({ bytes: 8192, source: "provider" });

    // Checked against limits of any size: below both, at the byte limit, at the row limit.
    expect(() =>
      assertWithinStorage(figures, { storageBytes: figures.bytes + 1, maxRows: 26 }, "free"),
    ).not.toThrow();
    const bytes = refusal(() =>
      assertWithinStorage(figures, { storageBytes: figures.bytes, maxRows: 1000 }, "pro"),
    );
    expect([bytes.status, bytes.code, bytes.details]).toEqual([
      507,
      "storage_limit",
      {
        exceeded: "bytes",
        bytes: figures.bytes,
        rows: 25,
        storageBytes: figures.bytes,
        maxRows: 1000,
        plan: "pro",
      },
    ]);
    const rows = refusal(() => assertWithinStorage(figures, { storageBytes: 2 ** 40, maxRows: 25 }, "free"));
    expect(rows.details).toMatchObject({ exceeded: "rows", rows: 25, maxRows: 25 });
  });

  it("refuses writes past the free plan's row cap with 507, while reads and deletes work", async () => {
    const { owner, base, tenant } = await workspaceWithTable();
    const max = PLANS.free.maxRows;
    await fill(tenant, max);
    const rows = `${base}/tables/notes/rows`;

    const insert = await call("POST", rows, { token: owner.token, body: { body: "one more" } });
    expect(insert.status).toBe(507);
    expect(await json(insert)).toMatchObject({
      error: { code: "storage_limit", details: { exceeded: "rows", rows: max, maxRows: max, plan: "free" } },
    });
    const update = await call("PATCH", `${rows}/1`, { token: owner.token, body: { body: "longer" } });
    expect([update.status, await errorCode(update)]).toEqual([507, "storage_limit"]);
    const sqlInsert = await call("POST", `${base}/sql`, {
      token: owner.token,
      body: { sql: "INSERT INTO notes (created_at, updated_at, body) VALUES (0, 0, 'x')", write: true },
    });
    expect([sqlInsert.status, await errorCode(sqlInsert)]).toEqual([507, "storage_limit"]);
    expect(Number((await tenant.execute("SELECT count(*) AS n FROM notes")).rows[0]?.n)).toBe(max);

    // Reads keep working, and the usage API shows the figures against the plan.
    expect((await call("GET", `${rows}/1`, { token: owner.token })).status).toBe(200);
    expect((await call("GET", `${rows}?limit=5`, { token: owner.token })).status).toBe(200);
    const usage = await json<{ storage: Record<string, unknown> }>(
      await call("GET", `${base}/usage`, { token: owner.token }),
    );
    expect(usage.storage).toMatchObject({ rows: max, maxRows: max, storageBytes: PLANS.free.storageBytes });

    // Deleting makes room: the next write is measured afresh and admitted.
    expect((await call("DELETE", `${rows}/1`, { token: owner.token })).status).toBe(204);
    const after = await call("POST", rows, { token: owner.token, body: { body: "fits again" } });
    expect(after.status).toBe(201);
    const full = await call("POST", rows, { token: owner.token, body: { body: "and now full" } });
    expect([full.status, await errorCode(full)]).toEqual([507, "storage_limit"]);
  });
});

describe("the provider's storage figure", () => {
  it("stands in for the page count when it answers, is asked at most once per period, and a write never fails for want of it", async () => {
    const { workspace, tenant } = await workspaceWithTable();
    // The workspace's database as the local Turso API would know it: not yet, then created.
    const dbName = `ws-${crypto.randomUUID().slice(0, 12)}`;
    const turso = testConfig({ PROVISIONER: "turso" });
    const ctx = testContext(undefined, turso);
    const row = { ...workspace, dbName };

    // The usage API cannot answer (an unknown database, as a down or rate-limited API would):
    // the database's own page count stands in instead of failing the write.
    const unavailable = await workspaceStorage(ctx, row, tenant);
    expect(unavailable.source).toBe("pages");
    const pages = await tenant.execute(
      "SELECT (SELECT page_count FROM pragma_page_count()) * (SELECT page_size FROM pragma_page_size()) AS b",
    );
    expect(unavailable.bytes).toBe(Number(pages.rows[0]?.b));

    const api = {
      apiUrl: turso.TURSO_API_URL,
      org: turso.TURSO_ORG ?? "",
      apiToken: turso.TURSO_API_TOKEN ?? "",
    };
    const provisioner = new TursoProvisioner({ ...api, groupPrefix: turso.TURSO_GROUP });
    await provisioner.create(dbName, "eu-west");
    const answered = await workspaceStorage(ctx, row, tenant);
    expect(answered).toMatchObject({ source: "provider", bytes: 8192 });

    // Gone at the provider now, but asked again only after the period: the last figure stands.
    await provisioner.destroy(dbName);
    expect(await workspaceStorage(ctx, row, tenant)).toMatchObject({ source: "provider", bytes: 8192 });
  });
});
