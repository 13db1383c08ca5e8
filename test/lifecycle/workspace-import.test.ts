// Workspace import (issue 18): an export archive restores into an empty workspace: rows with their
// ids and timestamps, formulas recomputed (never taken from the file), tables of more than 1,000
// rows in one transaction, archives over the 1 MiB request limit; webhooks and issuers re-made
// with new secrets; secrets and accounts only with values the importer adds. Bad archives are
// refused before anything is written; a failure part-way undoes everything the import made.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { tenantDb } from "../../src/db/tenant/client";
import { callWithEnv } from "../auth/helpers";
import { call, errorCode, json, makeUser, makeWorkspace, type TestUser, testConfig } from "../helpers";
import { makeTeam } from "../workspaces/fixtures";

type Line = { type: string } & Record<string, unknown>;

const SECRET_VALUE = "sk-import-test-9f3e1b7c0d2a4865";

const parse = (text: string): Line[] =>
  text
    .trimEnd()
    .split("\n")
    .map((l) => JSON.parse(l) as Line);
const ndjson = (lines: Line[]) => `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`;

async function exportOf(workspaceId: string, token: string): Promise<Line[]> {
  const res = await call("GET", `/v1/workspaces/${workspaceId}/export`, { token });
  expect(res.status).toBe(200);
  // Decoded by hand: workerd warns when .text() meets a type it does not know as text.
  return parse(new TextDecoder().decode(await res.arrayBuffer()));
}

const importInto = (workspaceId: string, token: string, archive: string, type = "application/x-ndjson") =>
  call("POST", `/v1/workspaces/${workspaceId}/import`, {
    token,
    body: archive,
    headers: { "Content-Type": type },
  });

/** An empty workspace owned by `owner`, to import into. */
const emptyWorkspace = (owner: TestUser) => makeWorkspace(owner);

async function allRows(
  workspaceId: string,
  token: string,
  table: string,
): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `?limit=1000&cursor=${encodeURIComponent(cursor)}` : "?limit=1000";
    const page = await json<{ rows: Record<string, unknown>[]; nextCursor: string | null }>(
      await call("GET", `/v1/workspaces/${workspaceId}/tables/${table}/rows${query}`, { token }),
    );
    rows.push(...page.rows);
    cursor = page.nextCursor;
  } while (cursor);
  return rows.sort((a, b) => Number(a.id) - Number(b.id));
}

async function tenantCount(workspaceId: string, sql: string): Promise<number> {
  const { controlDb } = await import("../../src/db/control/client");
  const { workspaces } = await import("../../src/db/control/schema");
  const { eq } = await import("drizzle-orm");
  const [ws] = await controlDb(testConfig()).select().from(workspaces).where(eq(workspaces.id, workspaceId));
  if (!ws) throw new Error("no workspace");
  const result = await (await tenantDb(testConfig(), ws)).execute(sql);
  return Number(result.rows[0]?.n ?? 0);
}

describe("POST /v1/workspaces/:id/import", () => {
  it("restores an export: rows with ids and timestamps, formulas recomputed, config with new secrets", async () => {
    const team = await makeTeam();
    const ws = `/v1/workspaces/${team.workspace.id}`;
    const owner = team.owner.token;
    const made = await call("POST", `${ws}/tables`, {
      token: owner,
      body: {
        name: "orders",
        columns: [
          { name: "sku", type: "text", notNull: true, unique: true },
          { name: "qty", type: "integer" },
          { name: "price", type: "real" },
          { name: "paid", type: "boolean" },
          { name: "meta", type: "json" },
          { name: "due", type: "timestamp" },
          { name: "total", type: "formula", formula: "row.qty * row.price" },
          { name: "note", type: "text" },
        ],
        indexes: [{ name: "orders_by_qty", columns: ["qty"] }],
      },
    });
    expect(made.status).toBe(201);
    // 2,500 rows with a long note each: the archive is over the 1 MiB request limit.
    const padding = "x".repeat(450);
    const rows = Array.from({ length: 2500 }, (_, i) => ({
      sku: `sku-${i}`,
      qty: i % 7,
      price: 1.5,
      paid: i % 2 === 0,
      meta: { i, tags: ["a", "b"] },
      due: 1_700_000_000_000 + i,
      note: `${i} ${padding}`,
    }));
    for (let i = 0; i < rows.length; i += 1000) {
      const res = await call("POST", `${ws}/tables/orders/rows`, {
        token: owner,
        body: { rows: rows.slice(i, i + 1000) },
      });
      expect(res.status).toBe(201);
    }
    // Gaps in the ids, and a row updated after it was made: both must survive.
    expect((await call("DELETE", `${ws}/tables/orders/rows/5`, { token: owner })).status).toBe(204);
    expect(
      (await call("PATCH", `${ws}/tables/orders/rows/7`, { token: owner, body: { qty: 100 } })).status,
    ).toBe(200);
    await call("POST", `${ws}/tables`, {
      token: owner,
      body: { name: "empty", columns: [{ name: "a", type: "text" }] },
    });
    expect(
      (
        await call("PUT", `${ws}/secrets/API_TOKEN`, {
          token: team.admin.token,
          body: { value: SECRET_VALUE },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call("PUT", `${ws}/secrets/UNUSED_KEY`, {
          token: team.admin.token,
          body: { value: "another-secret-value-7711", kind: "generic" },
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call("POST", `${ws}/functions`, {
          token: owner,
          body: {
            name: "token-end",
            code: "function main(args, env) { return env.API_TOKEN.slice(-4); }",
            timeoutMs: 500,
            env: ["API_TOKEN"],
          },
        })
      ).status,
    ).toBe(201);
    const hook = await call("POST", `${ws}/webhooks`, {
      token: owner,
      body: {
        url: `${env.TEST_OUTBOUND_FIXTURE_URL}/hooks/import`,
        events: ["row.created"],
        description: "orders",
      },
    });
    expect(hook.status).toBe(201);
    const oldSecret = (await json<{ secret: string }>(hook)).secret;
    const issuer = await call("POST", `${ws}/issuers`, {
      token: owner,
      body: {
        name: "app",
        kind: "hs256",
        secret: "an-hs256-secret-of-at-least-32-characters!",
        issuer: "https://auth.example.test",
        audience: "orders",
        tables: ["orders"],
      },
    });
    expect(issuer.status).toBe(201);
    expect(
      (
        await call("PUT", `${ws}/accounts/upstream`, {
          token: owner,
          body: {
            baseUrl: env.TEST_OUTBOUND_FIXTURE_URL,
            authHeaderName: "X-Api-Key",
            authHeaderValue: "upstream-key-4321",
          },
        })
      ).status,
    ).toBe(200);
    const before = await allRows(team.workspace.id, owner, "orders");
    expect(before).toHaveLength(2499);

    const lines = await exportOf(team.workspace.id, team.admin.token);
    expect(lines.at(-1)).toMatchObject({ type: "end", tables: 2, rows: 2499, accounts: 1, secrets: 2 });
    // The importer supplies one secret's value; a tampered formula value must not be believed.
    for (const line of lines) {
      if (line.type === "secret" && (line.secret as { name: string }).name === "API_TOKEN")
        line.value = SECRET_VALUE;
      if (line.type === "row" && (line.row as { id: number }).id === 1)
        (line.row as { total: number }).total = 999_999;
    }
    const archive = ndjson(lines);
    expect(archive.length).toBeGreaterThan(1024 * 1024);

    const target = await emptyWorkspace(team.owner);
    const res = await importInto(target.id, owner, archive);
    const body = await json<{
      tables: { name: string; rows: number; pendingRecompute?: unknown }[];
      rows: number;
      functions: string[];
      webhooks: { webhook: { id: string; url: string; enabled: boolean }; secret: string }[];
      issuers: { issuer: { issuer: string; hasSecret: boolean }; secret?: string }[];
      secrets: { set: string[]; missing: string[] };
      accounts: { set: string[]; missing: string[] };
    }>(res);
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.tables).toEqual([
      { name: "empty", rows: 0 },
      { name: "orders", rows: 2499 },
    ]);
    expect(body.rows).toBe(2499);
    expect(body.functions).toEqual(["token-end"]);
    expect(body.webhooks).toHaveLength(1);
    expect(body.webhooks[0]?.webhook).toMatchObject({
      url: `${env.TEST_OUTBOUND_FIXTURE_URL}/hooks/import`,
      enabled: true,
    });
    expect(body.webhooks[0]?.secret).toMatch(/^whsec_/);
    expect(body.webhooks[0]?.secret).not.toBe(oldSecret);
    // The hs256 issuer's secret was not in the archive: a new one, shown this once.
    expect(body.issuers[0]?.issuer).toMatchObject({ issuer: "https://auth.example.test", hasSecret: true });
    expect(body.issuers[0]?.secret?.length).toBeGreaterThanOrEqual(32);
    expect(body.secrets).toEqual({ set: ["API_TOKEN"], missing: ["UNUSED_KEY"] });
    expect(body.accounts).toEqual({ set: [], missing: ["upstream"] });

    const after = await allRows(target.id, owner, "orders");
    expect(after).toEqual(before);
    expect(after.find((r) => r.id === 1)?.total).toBe(0);
    expect(after.find((r) => r.id === 7)?.total).toBe(150);
    const table = await json<{ columns: unknown[]; indexes: unknown[] }>(
      await call("GET", `/v1/workspaces/${target.id}/tables/orders`, { token: owner }),
    );
    const original = await json<{ columns: unknown[]; indexes: unknown[] }>(
      await call("GET", `${ws}/tables/orders`, { token: owner }),
    );
    expect([table.columns, table.indexes]).toEqual([original.columns, original.indexes]);
    // The unique constraint came along, and new rows continue after the highest id.
    const dup = await call("POST", `/v1/workspaces/${target.id}/tables/orders/rows`, {
      token: owner,
      body: { rows: [{ sku: "sku-10" }] },
    });
    expect(dup.status).toBe(409);
    const next = await json<{ rows: { id: number }[] }>(
      await call("POST", `/v1/workspaces/${target.id}/tables/orders/rows`, {
        token: owner,
        body: { rows: [{ sku: "new" }] },
      }),
    );
    expect(next.rows[0]?.id).toBe(2501);
    // The function runs with the secret the importer supplied.
    const ran = await json<{ result: string }>(
      await call("POST", `/v1/workspaces/${target.id}/functions/token-end/invoke`, {
        token: owner,
        body: {},
      }),
    );
    expect(ran.result).toBe(SECRET_VALUE.slice(-4));

    const exported = await exportOf(target.id, owner);
    expect(JSON.stringify(exported)).not.toContain(SECRET_VALUE);
    expect(
      await tenantCount(
        target.id,
        "SELECT count(*) AS n FROM _islet_audit_log WHERE action = 'workspace.import'",
      ),
    ).toBe(1);
    expect(
      await tenantCount(
        target.id,
        "SELECT count(*) AS n FROM _islet_audit_log WHERE action = 'table.import'",
      ),
    ).toBe(2);
  });

  it("refuses a bad archive before writing anything, naming the line", async () => {
    const owner = await makeUser();
    const source = await makeWorkspace(owner);
    await call("POST", `/v1/workspaces/${source.id}/tables`, {
      token: owner.token,
      body: { name: "items", columns: [{ name: "n", type: "integer", notNull: true }] },
    });
    await call("POST", `/v1/workspaces/${source.id}/tables/items/rows`, {
      token: owner.token,
      body: { rows: [{ n: 1 }, { n: 2 }, { n: 3 }] },
    });
    const lines = await exportOf(source.id, owner.token);
    const target = await emptyWorkspace(owner);
    const cases: [string, string, string | RegExp][] = [
      ["truncated", ndjson(lines.slice(0, -1)), /no end line/],
      ["counts disagree", ndjson([...lines.slice(0, 3), ...lines.slice(4)]), /end line counts 3 rows/],
      ["not json", ndjson(lines).replace('"type":"row"', '"type":"row",'), /Archive line 3: is not JSON/],
      [
        "a wrong value",
        ndjson(
          lines.map((l) =>
            l.type === "row" && (l.row as { id: number }).id === 2
              ? { ...l, row: { ...(l.row as object), n: "two" } }
              : l,
          ),
        ),
        /Archive line 4: Column n: must be an integer/,
      ],
      [
        "a row before its table",
        ndjson([lines[0] as Line, lines[2] as Line, lines[1] as Line, ...lines.slice(3)]),
        /Archive line 2: a row of items must follow/,
      ],
      ["no header", ndjson(lines.slice(1)), /Archive line 1: must be the header/],
      [
        "another format",
        ndjson([{ type: "islet-workspace-export", version: 2 }, ...lines.slice(1)]),
        /must be the header/,
      ],
      [
        "a system column for a name",
        ndjson(lines.map((l) => (l.type === "table" ? { ...l, name: "_islet_tables" } : l))),
        /Archive line 2/,
      ],
    ];
    for (const [name, archive, message] of cases) {
      const res = await importInto(target.id, owner.token, archive);
      const body = await json<{ error: { code: string; message: string } }>(res);
      expect([name, res.status, body.error.code]).toEqual([name, 400, "invalid_request"]);
      expect(body.error.message, name).toMatch(message);
    }
    expect(await tenantCount(target.id, "SELECT count(*) AS n FROM _islet_tables")).toBe(0);
    expect(await tenantCount(target.id, "SELECT count(*) AS n FROM sqlite_master WHERE name = 'items'")).toBe(
      0,
    );
  });

  it("undoes everything it made when a later part fails", async () => {
    const owner = await makeUser();
    const target = await emptyWorkspace(owner);
    const header = { type: "islet-workspace-export", version: 1 };
    const row = (table: string, id: number, values: Record<string, unknown>) => ({
      type: "row",
      table,
      row: { id, created_at: 1, updated_at: 1, ...values },
    });
    // The second table's rows break its unique column: found only by the database.
    const archive = ndjson([
      header,
      { type: "table", name: "first", columns: [{ name: "a", type: "text" }], indexes: [] },
      row("first", 1, { a: "kept?" }),
      { type: "table", name: "second", columns: [{ name: "u", type: "text", unique: true }], indexes: [] },
      row("second", 1, { u: "same" }),
      row("second", 2, { u: "same" }),
      { type: "secret", secret: { name: "SOME_KEY", kind: "env" }, value: "value-that-is-long-enough" },
      { type: "end", tables: 2, rows: 3, functions: 0, webhooks: 0, issuers: 0, secrets: 1, accounts: 0 },
    ]);
    const res = await importInto(target.id, owner.token, archive);
    expect([res.status, await errorCode(res)]).toEqual([409, "conflict"]);
    expect(await tenantCount(target.id, "SELECT count(*) AS n FROM _islet_tables")).toBe(0);
    expect(
      await tenantCount(
        target.id,
        "SELECT count(*) AS n FROM sqlite_master WHERE name IN ('first', 'second')",
      ),
    ).toBe(0);
    expect(await tenantCount(target.id, "SELECT count(*) AS n FROM _islet_secrets")).toBe(0);

    // A function that does not compile fails after the tables went in: they are dropped again.
    const later = ndjson([
      header,
      { type: "table", name: "first", columns: [{ name: "a", type: "text" }], indexes: [] },
      row("first", 1, { a: "x" }),
      { type: "function", function: { name: "broken", code: "function main( {", timeoutMs: 100 } },
      { type: "secret", secret: { name: "SOME_KEY", kind: "env" }, value: "value-that-is-long-enough" },
      { type: "end", tables: 1, rows: 1, functions: 1, webhooks: 0, issuers: 0, secrets: 1, accounts: 0 },
    ]);
    const failed = await importInto(target.id, owner.token, later);
    expect([failed.status, await errorCode(failed)]).toEqual([400, "invalid_request"]);
    expect(await tenantCount(target.id, "SELECT count(*) AS n FROM _islet_tables")).toBe(0);
    expect(await tenantCount(target.id, "SELECT count(*) AS n FROM _islet_secrets")).toBe(0);
    expect(
      await tenantCount(
        target.id,
        "SELECT count(*) AS n FROM _islet_audit_log WHERE action = 'workspace.import_undone'",
      ),
    ).toBe(2);
    // The workspace is empty again: the same archive, mended, imports.
    const mended = later.replace("function main( {", "function main() { return 1; }");
    expect((await importInto(target.id, owner.token, mended)).status).toBe(200);
  });

  it("does not turn a disabled issuer back on", async () => {
    const owner = await makeUser();
    const target = await emptyWorkspace(owner);
    const archive = ndjson([
      { type: "islet-workspace-export", version: 1 },
      {
        type: "issuer",
        issuer: {
          name: "old",
          kind: "jwks",
          issuer: "https://old.example.test",
          audience: "app",
          jwksUrl: `${env.TEST_JWKS_FIXTURE_URL}/jwks.json`,
          roleClaim: "role",
          defaultRole: "viewer",
          tables: null,
          disabledAt: 1_700_000_000_000,
        },
      },
      { type: "end", tables: 0, rows: 0, functions: 0, webhooks: 0, issuers: 1, secrets: 0, accounts: 0 },
    ]);
    const res = await importInto(target.id, owner.token, archive);
    const body = await json<{ issuers: unknown[]; skippedIssuers: string[] }>(res);
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ issuers: [], skippedIssuers: ["https://old.example.test"] });
    const listed = await call("GET", `/v1/workspaces/${target.id}/issuers`, { token: owner.token });
    expect(await json(listed)).toMatchObject({ issuers: [] });
  });

  it("goes only into an empty workspace, for admins in person, as NDJSON, within its size limit", async () => {
    const team = await makeTeam();
    const archive = ndjson([
      { type: "islet-workspace-export", version: 1 },
      { type: "end", tables: 0, rows: 0, functions: 0, webhooks: 0, issuers: 0, secrets: 0, accounts: 0 },
    ]);
    const id = team.workspace.id;
    expect((await importInto(id, team.member.token, archive)).status).toBe(403);
    const wrongType = await importInto(id, team.owner.token, archive, "application/json");
    expect([wrongType.status, await errorCode(wrongType)]).toEqual([415, "unsupported_media_type"]);
    expect((await importInto(id, team.admin.token, archive)).status).toBe(200);
    await call("POST", `/v1/workspaces/${id}/tables`, {
      token: team.owner.token,
      body: { name: "t", columns: [{ name: "a", type: "text" }] },
    });
    const full = await importInto(id, team.owner.token, archive);
    expect([full.status, await errorCode(full)]).toEqual([409, "conflict"]);
    const target = await emptyWorkspace(team.owner);
    const big = await callWithEnv({ MAX_IMPORT_BYTES: "100" }, "POST", `/v1/workspaces/${target.id}/import`, {
      token: team.owner.token,
      body: `${archive}${" ".repeat(200)}`,
      headers: { "Content-Type": "application/x-ndjson" },
    });
    expect([big.status, await errorCode(big)]).toEqual([413, "payload_too_large"]);
    // Refused before authentication by its declared length, never read.
    const oversized = `${archive}${" ".repeat(200)}`;
    const anonymous = await callWithEnv(
      { MAX_IMPORT_BYTES: "100" },
      "POST",
      `/v1/workspaces/${target.id}/import`,
      {
        body: oversized,
        headers: { "Content-Type": "application/x-ndjson", "Content-Length": String(oversized.length) },
      },
    );
    expect(anonymous.status).toBe(413);
  });
});
