// The auth contract over every protected route of tenant data: tables, rows, functions, secrets,
// admin SQL, usage and audit. Each fixture workspace gets one table and one function (created
// once, by its owner) for the routes that need them.
import { eq } from "drizzle-orm";
import { controlDb } from "../../src/db/control/client";
import { workspaces } from "../../src/db/control/schema";
import { call, json, testConfig } from "../helpers";
import { authContract, type ContractFixture } from "./auth-contract";

const ws = "/v1/workspaces/:workspaceId";
const TABLE = "c_items";

const prepared = new WeakMap<ContractFixture, Promise<void>>();

/** The fixture's table and function, made once per fixture. */
function prepare(fx: ContractFixture): Promise<void> {
  let ready = prepared.get(fx);
  if (!ready) {
    ready = (async () => {
      const token = fx.users.owner.token;
      const base = `/v1/workspaces/${fx.workspace.id}`;
      const table = await call("POST", `${base}/tables`, {
        token,
        body: { name: TABLE, columns: [{ name: "title", type: "text" }] },
      });
      const fn = await call("POST", `${base}/functions`, {
        token,
        body: { name: "hello", code: "function main(args) { return { hi: args?.name ?? 'there' }; }" },
      });
      if (table.status !== 201 || fn.status !== 201) {
        throw new Error(`contract data setup failed: ${table.status} ${fn.status}`);
      }
    })();
    prepared.set(fx, ready);
  }
  return ready;
}

const unique = (prefix: string) => `${prefix}_${crypto.randomUUID().replace(/-/g, "").slice(0, 12)}`;

async function newRow(fx: ContractFixture): Promise<{ params: { table: string; id: string } }> {
  await prepare(fx);
  const res = await call("POST", `/v1/workspaces/${fx.workspace.id}/tables/${TABLE}/rows`, {
    token: fx.users.owner.token,
    body: { title: "row" },
  });
  const { rows } = await json<{ rows: { id: number }[] }>(res);
  return { params: { table: TABLE, id: String(rows[0]?.id) } };
}

const withTable = async (fx: ContractFixture) => {
  await prepare(fx);
  return { params: { table: TABLE } };
};

// Tables.
authContract({ route: `POST ${ws}/tables`, role: "member", scope: "schema:write", ok: 201 }, async () => ({
  body: { name: unique("t"), columns: [{ name: "a", type: "text" }] },
}));
authContract({ route: `GET ${ws}/tables`, role: "viewer", scope: "data:read" }, withTable);
authContract(
  { route: `GET ${ws}/tables/:table`, role: "viewer", scope: "data:read", table: TABLE },
  withTable,
);
authContract(
  { route: `PATCH ${ws}/tables/:table`, role: "member", scope: "schema:write", table: TABLE },
  async (fx) => ({ ...(await withTable(fx)), body: { addColumns: [{ name: unique("c"), type: "text" }] } }),
);
authContract(
  { route: `DELETE ${ws}/tables/:table`, role: "member", scope: "schema:write", table: TABLE, ok: 204 },
  async (fx) => {
    // Each success drops the table: put it back for the next call.
    const res = await call("POST", `/v1/workspaces/${fx.workspace.id}/tables`, {
      token: fx.users.owner.token,
      body: { name: TABLE, columns: [{ name: "title", type: "text" }] },
    });
    if (res.status !== 201 && res.status !== 409) throw new Error(`table setup failed: ${res.status}`);
    return { params: { table: TABLE }, body: { confirm: TABLE } };
  },
);

// Rows.
authContract(
  { route: `POST ${ws}/tables/:table/rows`, role: "member", scope: "data:write", table: TABLE, ok: 201 },
  async (fx) => ({ ...(await withTable(fx)), body: { title: "new" } }),
);
authContract(
  { route: `GET ${ws}/tables/:table/rows`, role: "viewer", scope: "data:read", table: TABLE },
  withTable,
);
authContract(
  { route: `GET ${ws}/tables/:table/rows/:id`, role: "viewer", scope: "data:read", table: TABLE },
  newRow,
);
authContract(
  { route: `PATCH ${ws}/tables/:table/rows/:id`, role: "member", scope: "data:write", table: TABLE },
  async (fx) => ({ ...(await newRow(fx)), body: { title: "changed" } }),
);
authContract(
  {
    route: `DELETE ${ws}/tables/:table/rows/:id`,
    role: "member",
    scope: "data:write",
    table: TABLE,
    ok: 204,
  },
  newRow,
);

// Functions and their secrets.
authContract(
  { route: `POST ${ws}/functions`, role: "member", scope: "functions:write", ok: 201 },
  async () => ({ body: { name: unique("f"), code: "function main() { return 1; }" } }),
);
authContract({ route: `GET ${ws}/functions`, role: "viewer", scope: "data:read" });
authContract(
  { route: `PATCH ${ws}/functions/:name`, role: "member", scope: "functions:write" },
  async (fx) => {
    await prepare(fx);
    return { params: { name: "hello" }, body: { timeoutMs: 500 } };
  },
);
authContract(
  { route: `POST ${ws}/functions/:name/invoke`, role: "member", scope: "functions:run" },
  async (fx) => {
    await prepare(fx);
    return { params: { name: "hello" }, body: { args: { name: "contract" } } };
  },
);
authContract(
  { route: `DELETE ${ws}/functions/:name`, role: "member", scope: "functions:write", ok: 204 },
  async (fx) => {
    const name = unique("f");
    const res = await call("POST", `/v1/workspaces/${fx.workspace.id}/functions`, {
      token: fx.users.owner.token,
      body: { name, code: "function main() { return 1; }" },
    });
    if (res.status !== 201) throw new Error(`function setup failed: ${res.status}`);
    return { params: { name } };
  },
);
authContract({ route: `GET ${ws}/secrets`, role: "admin", scope: "secrets:write" });
authContract({ route: `PUT ${ws}/secrets/:name`, role: "admin", scope: "secrets:write" }, async () => ({
  params: { name: "API_TOKEN" },
  body: { value: "s3cret-value" },
}));

// Admin SQL, usage, audit.
// Admin SQL is for signed-in admins only: no API key, whatever its scopes.
authContract({ route: `POST ${ws}/sql`, role: "admin", usersOnly: true, body: { sql: "SELECT 1 AS one" } });
authContract({ route: `GET ${ws}/usage`, role: "admin", scope: "keys:manage" });
authContract({ route: `GET ${ws}/usage/traffic`, role: "admin", scope: "keys:manage" });
authContract({ route: `GET ${ws}/audit/activity`, role: "admin", scope: "audit:read" });
authContract({ route: `GET ${ws}/audit`, role: "admin", scope: "audit:read" });
authContract({ route: `GET ${ws}/audit/verify`, role: "admin", scope: "audit:read" });
// Export is a Pro feature: the fixture workspace is moved to Pro (as an operator would).
authContract({ route: `GET ${ws}/audit/export`, role: "admin", scope: "audit:read" }, async (fx) => {
  await controlDb(testConfig())
    .update(workspaces)
    .set({ plan: "pro" })
    .where(eq(workspaces.id, fx.workspace.id));
  return undefined;
});
