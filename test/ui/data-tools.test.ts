// The dashboard as a data tool, inside workerd and without script: the create form with any number
// of columns, the schema editor (each change through the API's verbs, audited as the API's), the
// SQL console (read-only by default, the API's guard and audit, errors as sentences) and the
// Connect panel (the workspace's own values in every snippet). The Chromium suite
// (scripts/dashboard-browser.test.ts) drives the same pages in a real browser.
import { exports } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/control/client";
import { memberships, users } from "../../src/db/control/schema";
import { testConfig } from "../helpers";
import { ORIGIN, signedUpBrowser } from "./helpers";

const decode = (html: string) =>
  html
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");

/** The API's view of a table, with a session cookie's bearer: what the editor changed, for real. */
async function apiTable(
  browser: Awaited<ReturnType<typeof signedUpBrowser>>["browser"],
  ws: string,
  table: string,
) {
  const res = await browser.raw("GET", `/v1/workspaces/${ws}/tables/${table}`);
  return {
    status: res.status,
    body: (await res.json()) as {
      table: {
        columns: { name: string; type: string; formula?: string }[];
        indexes: { name: string; columns: string[]; unique?: boolean }[];
      };
    },
  };
}

describe("create a table with any number of columns", () => {
  it("takes more than six columns, and adds a slot without script instead of creating", async () => {
    const { browser, workspaceId } = await signedUpBrowser();
    const ws = `/app/w/${workspaceId}`;
    const first = await browser.get(ws);
    // Three blank slots to start with, and a button that asks for more.
    expect(first.html.match(/<fieldset class="column"/g)).toHaveLength(3);
    expect(first.html).toContain("Add a column");

    const more = await browser.submit(`${ws}/tables`, {
      name: "wide",
      "c0.name": "a",
      "c0.type": "text",
      add_column: "1",
    });
    expect(more.status).toBe(200);
    expect(more.html.match(/<fieldset class="column"/g)).toHaveLength(4);
    expect(more.html).toContain('name="c0.name" type="text" value="a"');
    expect((await browser.raw("GET", `/v1/workspaces/${workspaceId}/tables/wide`)).status).toBe(404);

    const fields: Record<string, string> = { name: "wide" };
    for (let i = 0; i < 9; i++) {
      fields[`c${i}.name`] = `col${i}`;
      fields[`c${i}.type`] = i === 8 ? "formula" : "integer";
    }
    fields["c8.formula"] = "row.col0 + row.col7";
    const created = await browser.submit(`${ws}/tables`, fields);
    expect(created.html).toContain("Table created.");
    const { body } = await apiTable(browser, workspaceId, "wide");
    expect(body.table.columns.map((c) => c.name)).toEqual(Array.from({ length: 9 }, (_, i) => `col${i}`));
  });
});

describe("the schema editor", () => {
  it("adds, renames and drops columns, sets a formula, adds and drops an index, drops the table", async () => {
    const { browser, workspaceId } = await signedUpBrowser();
    const ws = `/app/w/${workspaceId}`;
    await browser.get(ws);
    await browser.submit(`${ws}/tables`, {
      name: "orders",
      "c0.name": "price",
      "c0.type": "real",
      "c1.name": "qty",
      "c1.type": "integer",
      "c2.name": "total",
      "c2.type": "formula",
      "c2.formula": "row.price * row.qty",
    });
    await browser.submit(`${ws}/tables/orders/rows`, { "col.price": "2", "col.qty": "3" });
    const schema = `${ws}/tables/orders/schema`;
    const page = await browser.get(schema);
    expect(page.status).toBe(200);
    expect(page.html).toContain("Schema of orders");

    const added = await browser.submit(`${schema}/columns`, {
      "new.name": "note",
      "new.type": "text",
      "new.default": "none",
    });
    expect(added.html).toContain("Table changed.");
    const renamed = await browser.submit(`${schema}/columns/note/rename`, { to: "remark" });
    expect(renamed.html).toContain("Table changed.");
    const formula = await browser.submit(`${schema}/columns/total/formula`, {
      formula: "row.price * row.qty * 10",
    });
    expect(formula.html).toContain("Table changed.");
    const indexed = await browser.submit(`${schema}/indexes`, {
      name: "orders_by_qty",
      columns: ["qty", "price"],
    });
    expect(indexed.html).toContain("Table changed.");
    let table = (await apiTable(browser, workspaceId, "orders")).body.table;
    expect(table.columns.map((c) => c.name)).toEqual(["price", "qty", "total", "remark"]);
    expect(table.columns.find((c) => c.name === "total")?.formula).toBe("row.price * row.qty * 10");
    expect(table.indexes).toEqual([{ name: "orders_by_qty", columns: ["qty", "price"] }]);
    // The formula change recomputed the stored row.
    const rows = (await (
      await browser.raw("GET", `/v1/workspaces/${workspaceId}/tables/orders/rows`)
    ).json()) as {
      rows: { total: number; remark: string }[];
    };
    expect(rows.rows[0]).toMatchObject({ total: 60, remark: "none" });

    // The verb's own checks, shown on the page: a column a formula uses cannot go.
    const refused = await browser.submit(`${schema}/columns/qty/drop`, { confirm: "qty" });
    expect(refused.status).toBe(400);
    expect(decode(refused.html)).toContain("Column qty is used by the formula of total");

    await browser.submit(`${schema}/indexes/orders_by_qty/drop`, {});
    // Dropping a column asks first; only the answer naming it drops it.
    const asked = await browser.submit(`${schema}/columns/remark/drop`, {});
    expect(asked.html).toContain("Drop the column remark? Its value in every row is deleted");
    expect((await apiTable(browser, workspaceId, "orders")).body.table.columns).toHaveLength(4);
    const dropped = await browser.submit(`${schema}/columns/remark/drop`, { confirm: "remark" });
    expect(dropped.html).toContain("Table changed.");
    table = (await apiTable(browser, workspaceId, "orders")).body.table;
    expect(table.columns.map((c) => c.name)).toEqual(["price", "qty", "total"]);
    expect(table.indexes).toEqual([]);

    // Dropping needs the typed name, as the API's confirm does.
    const wrong = await browser.submit(`${schema}/drop`, { confirm: "order" });
    expect(wrong.status).toBe(400);
    expect(wrong.html).toContain("Type orders exactly to drop the table.");
    expect((await apiTable(browser, workspaceId, "orders")).status).toBe(200);
    const gone = await browser.submit(`${schema}/drop`, { confirm: "orders" });
    expect(gone.html).toContain("Table dropped.");
    expect((await apiTable(browser, workspaceId, "orders")).status).toBe(404);

    // Every change is the API's audited event.
    const audit = await browser.get(`${ws}/audit?action=table.alter`);
    expect(audit.html.match(/<td>table\.alter<\/td>/g)?.length).toBe(6);
    expect((await browser.get(`${ws}/audit?action=table.drop`)).html).toContain("<td>table.drop</td>");
  });

  it("is not there for someone outside the workspace, as the API is not", async () => {
    const { browser, workspaceId } = await signedUpBrowser();
    const ws = `/app/w/${workspaceId}`;
    await browser.get(ws);
    await browser.submit(`${ws}/tables`, { name: "notes", "c0.name": "body", "c0.type": "text" });
    const other = await signedUpBrowser("Eve");
    const page = await other.browser.get(`${ws}/tables/notes/schema`);
    expect(page.status).toBe(404);
  });
});

describe("the SQL console", () => {
  it("reads by default, refuses a write without the box, runs it with the box, and audits both", async () => {
    const { browser, workspaceId } = await signedUpBrowser();
    const ws = `/app/w/${workspaceId}`;
    await browser.get(ws);
    await browser.submit(`${ws}/tables`, { name: "notes", "c0.name": "body", "c0.type": "text" });
    await browser.submit(`${ws}/tables/notes/rows`, { "col.body": "<b>hello</b>" });

    const page = await browser.get(`${ws}/sql`);
    expect(page.status).toBe(200);
    expect(page.html).toMatch(/<input type="checkbox" name="write" value="1"\s*\/?>/);

    const read = await browser.submit(`${ws}/sql`, { sql: "SELECT id, body FROM notes" });
    expect(read.status).toBe(200);
    expect(read.html).toContain("<th>body</th>");
    expect(read.html).toContain("&lt;b&gt;hello&lt;/b&gt;");
    expect(read.html).toContain("1 row");

    const write = "UPDATE notes SET body = 'changed'";
    const refused = await browser.submit(`${ws}/sql`, { sql: write });
    expect(decode(refused.html)).toContain(
      "This statement changes data. Tick “Allow this statement to write”",
    );
    expect(refused.html).not.toMatch(/\[forbidden\]|"write": true/);
    // The statement is kept for a second try; the box is not.
    expect(refused.html).toContain("UPDATE notes SET body = &#39;changed&#39;");
    // A write is answered by a redirect (303), so a reload of what the browser shows runs nothing
    // again; the console shows the write's outcome once, with the statement.
    const posted = await browser.raw("POST", `${ws}/sql`, {
      body: new URLSearchParams({ _csrf: browser.csrf, sql: write, write: "1" }).toString(),
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Origin: ORIGIN,
        "Sec-Fetch-Site": "same-origin",
      },
    });
    expect([posted.status, posted.headers.get("Location")]).toEqual([303, `${ws}/sql`]);
    const wrote = await browser.get(`${ws}/sql`);
    expect(wrote.html).toContain("1 row changed");
    expect(wrote.html).toContain("UPDATE notes SET body = &#39;changed&#39;");
    const reloaded = await browser.get(`${ws}/sql`);
    expect(reloaded.html).not.toContain("row changed");

    const syntax = await browser.submit(`${ws}/sql`, { sql: "SELECT body FROM notes WHERE" });
    expect(decode(syntax.html)).toMatch(/The statement (has a syntax error near “[^”]*”|ends too early)/);
    expect(syntax.html).not.toMatch(/\[invalid_request\]|SQL error:/);
    const missing = await browser.submit(`${ws}/sql`, { sql: "SELECT * FROM nowhere" });
    expect(decode(missing.html)).toContain("There is no table named “nowhere”.");
    const system = await browser.submit(`${ws}/sql`, { sql: "SELECT * FROM _islet_audit_log" });
    expect(system.html).toContain("System tables (_islet_*) are not reachable through SQL.");

    const api = (await (
      await browser.raw("GET", `/v1/workspaces/${workspaceId}/tables/notes/rows`)
    ).json()) as {
      rows: { body: string }[];
    };
    expect(api.rows[0]?.body).toBe("changed");
    const audit = await browser.get(`${ws}/audit?action=sql.execute`);
    // The read, the write, and the two statements the database refused after the guard let them through.
    expect(audit.html.match(/<td>sql\.execute<\/td>/g)?.length).toBeGreaterThanOrEqual(2);
    expect(audit.html).toContain("&quot;write&quot;:true");
  });

  it("is for admins: a member gets a sentence and no console", async () => {
    const owner = await signedUpBrowser();
    const ws = `/app/w/${owner.workspaceId}`;
    const member = await signedUpBrowser("Mel");
    const db = controlDb(testConfig());
    const [user] = await db.select().from(users).where(eq(users.email, member.email));
    await db.insert(memberships).values({
      workspaceId: owner.workspaceId,
      userId: user?.id ?? "",
      role: "member",
      createdAt: Date.now(),
    });
    const page = await member.browser.get(`${ws}/sql`);
    expect(page.html).toContain("The SQL console is for the workspace&#39;s admins and owner");
    expect(page.html).not.toContain('name="sql"');
    // A post anyway is the verb's to refuse: no result, the same sentence.
    const post = await member.browser.submit(`${ws}/sql`, { sql: "SELECT 42 AS answer" });
    expect(post.html).not.toContain("<th>answer</th>");
    expect(post.html).toContain("The SQL console is for the workspace&#39;s admins and owner");
  });
});

describe("the Connect panel", () => {
  it("fills in the workspace's id, base URL, a table, and the MCP endpoint in every snippet", async () => {
    const { browser, workspaceId } = await signedUpBrowser();
    const ws = `/app/w/${workspaceId}`;
    await browser.get(ws);
    await browser.submit(`${ws}/tables`, { name: "todos", "c0.name": "title", "c0.type": "text" });
    const page = await browser.get(`${ws}/connect`);
    expect(page.status).toBe(200);
    const html = decode(page.html);
    const snippet = (id: string) => new RegExp(`id="connect-${id}">([\\s\\S]*?)</pre>`).exec(html)?.[1] ?? "";
    const base = "http://127.0.0.1:8787";
    expect(html).toContain(`<code id="connect-workspace-id">${workspaceId}</code>`);
    expect(snippet("curl")).toContain(`${base}/v1/workspaces/${workspaceId}/tables/todos/rows`);
    expect(snippet("client")).toContain(`workspaceId: "${workspaceId}", table: "todos"`);
    for (const id of ["claude-desktop", "cursor"]) {
      const config = JSON.parse(snippet(id)) as { mcpServers: { islet: unknown } };
      expect(JSON.stringify(config.mcpServers.islet)).toContain(`${base}/mcp`);
    }
    expect(snippet("claude-code")).toContain(`--transport http islet ${base}/mcp`);
    expect(snippet("realtime")).toContain(`workspaceId: "${workspaceId}"`);
    expect(snippet("realtime")).toContain("ws://127.0.0.1:8787/v1/realtime?ticket=");
    expect(snippet("realtime")).toContain('tables: ["todos"]');

    // The curl line works as shown once a key replaces the placeholder (and the workspace list
    // shows the id the API takes, not the slug it refuses).
    const keyPage = await browser.submit(`${ws}/keys`, { name: "connect", scopes: "data:read" });
    const key = /id="new-key-token">([^<]+)</.exec(keyPage.html)?.[1]?.trim() ?? "";
    const url = /(http:\/\/\S+rows\?limit=10)/.exec(snippet("curl"))?.[1] ?? "";
    const res = await exports.default.fetch(
      new Request(url, { headers: { Authorization: `Bearer ${key}` } }),
    );
    expect(res.status).toBe(200);
    expect((await browser.get("/app")).html).toContain(`<code>${workspaceId}</code>`);
  });
});
