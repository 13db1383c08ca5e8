// The dashboard in a real headless Chromium against the real Worker (wrangler's local runtime):
// the whole journey of a new user with zero CSP violations and zero console errors on every
// page, the key copied through the real clipboard, frames refused, a cross-site form refused,
// and the core forms working with JavaScript off. Screenshots of every main page are written to
// test-output/screenshots (git-ignored) for a person to look at.
import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../bench/_stack";
import { launchChromium } from "./chromium";

const SHOTS = join(import.meta.dirname, "..", "test-output", "screenshots");
const PASSWORD = "correct horse battery staple 42";

let stack: Stack;
let browser: Browser;
let base: string;
/** A page on another origin (localhost vs 127.0.0.1: another site too), for framing and CSRF. */
let attacker: Server;
let attackerUrl: string;
let attackerPage = "";

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  stack = await startStack({ worker: true });
  base = stack.workerUrl ?? "";
  browser = await launchChromium();
  attacker = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "text/html" });
    res.end(attackerPage);
  });
  await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
  attackerUrl = `http://localhost:${(attacker.address() as AddressInfo).port}/`;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => attacker?.close(resolve));
  await stack?.stop();
});

/** Every page of a context reports CSP violations, console errors and uncaught errors here. */
async function watched(context: BrowserContext) {
  const problems: string[] = [];
  await context.exposeFunction("reportViolation", (text: string) => problems.push(`csp: ${text}`));
  // As a string: this runs in the page, whose DOM types this Node file does not load.
  await context.addInitScript(`document.addEventListener("securitypolicyviolation", (e) =>
    window.reportViolation(e.violatedDirective + " " + e.blockedURI + " " + e.documentURI));`);
  context.on("page", (page) => watchPage(page, problems));
  return problems;
}

function watchPage(page: Page, problems: string[]) {
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()} @ ${page.url()}`);
  });
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message} @ ${page.url()}`));
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

const email = () => `chromium-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;

async function signUp(page: Page, address: string) {
  await page.goto(`${base}/signup`);
  await page.getByLabel("Name").fill("Grace");
  await page.getByLabel("Email").fill(address);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByLabel("Region for your workspace's database").selectOption("eu-west");
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.waitForURL(`${base}/app`);
}

async function verify(page: Page, address: string) {
  await page.goto(`${base}/dev/outbox?to=${encodeURIComponent(address)}`);
  await page.locator('a[href*="/verify-email?token="]').first().click();
  await page.getByRole("button", { name: "Verify my email" }).click();
  await page.getByText("Your email address is verified.").waitFor();
}

describe("the dashboard in Chromium", () => {
  it("carries a new user through the whole journey with no CSP violation or console error", async () => {
    const context = await browser.newContext();
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
    const problems = await watched(context);
    const page = await context.newPage();
    const address = email();

    await page.goto(`${base}/signup`);
    await shot(page, "signup");
    await signUp(page, address);
    await verify(page, address);
    await shot(page, "sign-in");

    // The personal workspace: create a table with a formula.
    await page.goto(`${base}/app`);
    await shot(page, "workspaces");
    await page.locator('a[href^="/app/w/"]').first().click();
    const workspaceUrl = page.url();
    const workspaceId = /\/app\/w\/(ws_[0-9a-z]+)/.exec(workspaceUrl)?.[1] ?? "";
    await page.getByLabel("Table name").fill("orders");
    const columns = page.locator("fieldset");
    const column = async (i: number, name: string, type: string, formula?: string) => {
      await columns.nth(i).getByLabel("Name").fill(name);
      await columns.nth(i).getByLabel("Type").selectOption(type);
      if (formula) await columns.nth(i).getByLabel("Formula (JavaScript over row)").fill(formula);
    };
    await column(0, "item", "text");
    await column(1, "price", "real");
    await column(2, "qty", "integer");
    // Three slots to start with; the fourth comes from "Add a column" (in place, by the script).
    await page.getByRole("button", { name: "Add a column" }).click();
    await column(3, "total", "formula", "row.price * row.qty");
    await shot(page, "tables");
    await page.getByRole("button", { name: "Create table" }).click();
    await page.getByText("Table created.").waitFor();

    for (const [item, price, qty] of [
      ["pens", "1.5", "4"],
      ["paper", "3", "2"],
    ]) {
      await page.getByLabel("item (text)").fill(item ?? "");
      await page.getByLabel("price (real)").fill(price ?? "");
      await page.getByLabel("qty (integer)").fill(qty ?? "");
      await page.getByRole("button", { name: "Insert" }).click();
      await page.getByText("Row saved.").waitFor();
    }
    expect(await page.locator("table.data tbody tr").count()).toBe(2);
    expect(await page.locator("table.data").textContent()).toContain("6");
    await shot(page, "rows");

    // An API key: shown once, copied through the clipboard, used, revoked.
    await page.goto(`${workspaceUrl}/keys`);
    await page.getByLabel("Name").fill("backend");
    await page.getByLabel("data:write").check();
    await page.getByRole("button", { name: "Create key" }).click();
    await page.getByText("It will not be shown again").waitFor();
    await shot(page, "key-created");
    await page.getByRole("button", { name: "Copy" }).click();
    await page.getByRole("button", { name: "Copied" }).waitFor();
    // islet's pages may write the clipboard but never read it (Permissions-Policy); the test reads
    // it from a page of another origin that is allowed to.
    attackerPage = "<!doctype html><title>reader</title>";
    await context.grantPermissions(["clipboard-read"], { origin: attackerUrl.replace(/\/$/, "") });
    const reader = await context.newPage();
    await reader.goto(attackerUrl);
    await reader.bringToFront();
    const copied = await reader.evaluate("navigator.clipboard.readText()");
    await reader.close();
    expect(copied).toBe((await page.locator("#new-key-token").textContent())?.trim());
    const rowsUrl = `${base}/v1/workspaces/${workspaceId}/tables/orders/rows`;
    const used = await fetch(rowsUrl, { headers: { Authorization: `Bearer ${copied}` } });
    expect(used.status).toBe(200);
    expect(((await used.json()) as { rows: unknown[] }).rows).toHaveLength(2);

    await page.goto(`${workspaceUrl}/keys`);
    expect(await page.content()).not.toContain(String(copied));
    await shot(page, "keys");
    // Revoking asks first: the list links to a confirmation, whose button revokes.
    await page.getByRole("link", { name: "Revoke backend" }).click();
    await page.getByRole("heading", { name: 'Revoke the key "backend"?' }).waitFor();
    await page.getByRole("button", { name: "Revoke backend" }).click();
    await page.getByText("Key revoked.").waitFor();
    const refused = await fetch(rowsUrl, { headers: { Authorization: `Bearer ${copied}` } });
    expect(refused.status).toBe(401);

    // The revocation is in the audit log.
    await page.goto(`${workspaceUrl}/audit`);
    await page.getByLabel("Action").fill("key.revoke");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.locator("td", { hasText: "key.revoke" }).first().waitFor();
    await page.getByRole("button", { name: "Verify the chain" }).click();
    await page.getByText("The chain verifies").waitFor();
    await shot(page, "audit");

    // Delete a row.
    await page.goto(`${workspaceUrl}/tables/orders`);
    await page.getByRole("link", { name: "Edit" }).first().click();
    await shot(page, "row");
    await page.getByRole("button", { name: "Delete this row" }).click();
    await page.getByText("Row deleted.").waitFor();
    expect(await page.locator("table.data tbody tr").count()).toBe(1);

    // Every other main page, for the screenshots and the zero-problem rule.
    for (const [name, path] of [
      ["functions", "/functions"],
      ["members", "/members"],
      ["secrets", "/secrets"],
      ["webhooks", "/webhooks"],
      ["issuers", "/issuers"],
      ["usage", "/usage"],
      ["settings", "/settings"],
    ] as const) {
      const res = await page.goto(`${workspaceUrl}${path}`);
      expect(res?.status(), path).toBe(200);
      await shot(page, name);
    }
    await page.goto(`${base}/app/account`);
    await shot(page, "account");
    await page.goto(`${base}/docs`);
    await page.waitForSelector(".opblock", { timeout: 30_000 });

    expect(problems).toEqual([]);
    await context.close();
  }, 180_000);

  it("is a data tool: table editor, SQL console, Connect panel and usage charts, with no CSP violation", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const problems = await watched(context);
    const page = await context.newPage();
    await signUp(page, email());
    await page.locator('a[href^="/app/w/"]').first().click();
    const workspaceUrl = page.url();
    const workspaceId = /\/app\/w\/(ws_[0-9a-z]+)/.exec(workspaceUrl)?.[1] ?? "";

    // The create form: any number of columns, and no input overlapping another.
    await page.getByLabel("Table name").fill("orders");
    await page.getByRole("button", { name: "Add a column" }).click();
    const slots = page.locator("fieldset.column");
    expect(await slots.count()).toBe(4);
    for (const [i, name, type] of [
      [0, "item", "text"],
      [1, "price", "real"],
      [2, "qty", "integer"],
      [3, "total", "formula"],
    ] as const) {
      await slots.nth(i).getByLabel("Name").fill(name);
      await slots.nth(i).getByLabel("Type").selectOption(type);
    }
    await slots.nth(3).getByLabel("Formula (JavaScript over row)").fill("row.price * row.qty");
    const overlaps = await page.evaluate(`(() => {
      const found = [];
      for (const fieldset of document.querySelectorAll("fieldset.column")) {
        const boxes = [...fieldset.querySelectorAll("input:not([type=checkbox]), select")].map((e) => [e.name, e.getBoundingClientRect()]);
        const outer = fieldset.getBoundingClientRect();
        for (const [name, b] of boxes) if (b.right > outer.right + 0.5) found.push(name + " leaves its fieldset");
        for (let i = 0; i < boxes.length; i++)
          for (let j = i + 1; j < boxes.length; j++) {
            const [n1, a] = boxes[i]; const [n2, b] = boxes[j];
            if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) found.push(n1 + " overlaps " + n2);
          }
      }
      return found;
    })()`);
    expect(overlaps).toEqual([]);
    await shot(page, "create-table");
    await page.getByRole("button", { name: "Create table" }).click();
    await page.getByText("Table created.").waitFor();
    await page.getByLabel("item (text)").fill("pens");
    await page.getByLabel("price (real)").fill("1.5");
    await page.getByLabel("qty (integer)").fill("4");
    await page.getByRole("button", { name: "Insert" }).click();
    await page.getByText("Row saved.").waitFor();

    // The schema editor: add, rename, drop a column, an index, a new formula.
    await page.getByRole("link", { name: "Change columns and indexes" }).click();
    const changed = () => page.getByText("Table changed.").waitFor();
    const newColumn = page.locator("fieldset.column");
    await newColumn.getByLabel("Name").fill("note");
    await newColumn.getByLabel("Default").fill("none");
    await page.getByRole("button", { name: "Add column" }).click();
    await changed();
    await page.getByLabel("New name for note").fill("remark");
    await page.getByLabel("New name for note").press("Enter");
    await changed();
    await page.getByLabel("Index name").fill("orders_by_qty");
    await page.getByRole("checkbox", { name: "qty", exact: true }).check();
    await page.getByRole("button", { name: "Add index" }).click();
    await changed();
    await page.getByLabel("Formula of total").fill("row.price * row.qty * 2");
    await page.getByRole("button", { name: "Set formula" }).click();
    await changed();
    await shot(page, "table-editor");
    await page.getByRole("button", { name: "Drop remark" }).click();
    await page.getByRole("button", { name: "Yes, drop remark" }).click();
    await changed();
    await page.getByRole("button", { name: "Drop index orders_by_qty" }).click();
    await changed();
    const api = await page.evaluate(
      `fetch("/v1/workspaces/${workspaceId}/tables/orders").then((r) => r.json())`,
    );
    const table = (api as { table: { columns: { name: string; formula?: string }[]; indexes: unknown[] } })
      .table;
    expect(table.columns.map((c) => c.name)).toEqual(["item", "price", "qty", "total"]);
    expect(table.columns[3]?.formula).toBe("row.price * row.qty * 2");
    expect(table.indexes).toEqual([]);

    // The SQL console: a read as a table; a write refused without the box; errors as sentences.
    await page.goto(`${workspaceUrl}/sql`);
    const run = async (sql: string) => {
      await page.getByLabel("Statement", { exact: true }).fill(sql);
      const answered = page.waitForResponse(
        (r) => r.request().method() === "POST" && r.url().endsWith("/sql"),
      );
      await page.getByRole("button", { name: "Run" }).click();
      await answered;
      await page.waitForLoadState();
    };
    await run("SELECT item, total FROM orders");
    expect(await page.locator("table.result tbody td").allTextContents()).toEqual(["pens", "12"]);
    await run("DELETE FROM orders");
    await page.getByText("This statement changes data. Tick “Allow this statement to write”").waitFor();
    await run("SELECT item FROM orders WHERE");
    expect(await page.getByRole("alert").textContent()).toMatch(
      /^The statement (has a syntax error|ends too early)/,
    );
    await run("SELECT count(*) AS n FROM orders");
    await shot(page, "sql-console");

    // Connect: the workspace's own values, filled in.
    await page.goto(`${workspaceUrl}/connect`);
    expect((await page.locator("#connect-workspace-id").textContent())?.trim()).toBe(workspaceId);
    expect(await page.locator("#connect-curl").textContent()).toContain(
      `${base}/v1/workspaces/${workspaceId}/tables/orders/rows`,
    );
    expect(JSON.parse((await page.locator("#connect-cursor").textContent()) ?? "")).toEqual({
      mcpServers: { islet: { url: `${base}/mcp`, headers: { Authorization: "Bearer isk_…" } } },
    });
    await shot(page, "connect");

    // Dropping the table needs its name typed: the button waits for it.
    await page.goto(`${workspaceUrl}/tables/orders/schema`);
    const drop = page.getByRole("button", { name: "Drop table" });
    expect(await drop.isDisabled()).toBe(true);
    await page.getByLabel("Type orders").fill("orders");
    await drop.click();
    await page.getByText("Table dropped.").waitFor();

    // Usage as pictures: the charts are SVG, drawn by the server, styled by the stylesheet.
    await page.goto(`${workspaceUrl}/usage`);
    const minute = page.locator("#per-minute > svg");
    await minute.waitFor();
    expect(await minute.locator("rect.bar").count()).toBeGreaterThan(0);
    expect(await page.locator("#per-minute line.limit").count()).toBe(1);
    expect(await page.locator("#audit-activity > svg rect.bar").count()).toBeGreaterThan(0);
    const fill = await page.evaluate(
      `getComputedStyle(document.querySelector("#per-minute rect.bar-admitted")).fill`,
    );
    expect(fill).not.toBe("rgb(0, 0, 0)");
    await shot(page, "usage-charts");

    expect(problems).toEqual([]);
    await context.close();
  }, 180_000);

  it("renders hostile content as text: nothing runs", async () => {
    const context = await browser.newContext();
    const problems = await watched(context);
    const page = await context.newPage();
    await page.exposeFunction("pwned", (where: string) => problems.push(`script ran: ${where}`));
    const address = email();
    await signUp(page, address);
    const payloads = [
      "<script>pwned('script')</script>",
      '"><img src=x onerror="pwned(\'img\')">',
      "javascript:pwned('href')",
      "{{constructor.constructor('pwned(1)')()}}",
    ];
    await page.locator('a[href^="/app/w/"]').first().click();
    const workspaceUrl = page.url();
    await page.goto(`${workspaceUrl}/settings`);
    await page.getByLabel("Name").fill(payloads[0] ?? "");
    await page.getByRole("button", { name: "Rename" }).click();
    await page.goto(workspaceUrl);
    await page.getByLabel("Table name").fill("notes");
    await page.locator("fieldset").first().getByLabel("Name").fill("body");
    await page.getByRole("button", { name: "Create table" }).click();
    for (const value of payloads) {
      await page.getByLabel("body (text)").fill(value);
      await page.getByRole("button", { name: "Insert" }).click();
      await page.getByText("Row saved.").waitFor();
    }
    // A table name with markup is refused; the error is text.
    await page.goto(workspaceUrl);
    await page.getByLabel("Table name").fill(payloads[1] ?? "");
    await page
      .locator("fieldset")
      .first()
      .getByLabel("Name")
      .fill(payloads[0] ?? "");
    await page.getByRole("button", { name: "Create table" }).click();
    await page.locator(".error").waitFor();
    await page.goto(`${workspaceUrl}/tables/notes`);
    for (const value of payloads) await page.getByText(value, { exact: true }).first().waitFor();
    await shot(page, "xss-rows");
    expect(problems.filter((p) => p.startsWith("script ran"))).toEqual([]);
    // The refused table name is a 400 page: its console line is the only one allowed.
    expect(problems.filter((p) => !/^script ran|status of 400/.test(p))).toEqual([]);
    await context.close();
  }, 120_000);

  it("refuses to be framed by another site", async () => {
    attackerPage = `<!doctype html><iframe id="f" src="${base}/login" width="600" height="400"></iframe>`;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(attackerUrl);
    await page.waitForTimeout(1500);
    const framed = page.frames().find((f) => f !== page.mainFrame());
    const text = framed
      ? await framed.evaluate("document.body ? document.body.innerText : ''").catch(() => "")
      : "";
    expect(String(text)).not.toContain("Sign in to islet");
    await context.close();
  }, 60_000);

  it("refuses a cross-site form post even from a signed-in browser", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signUp(page, email());
    await page.locator('a[href^="/app/w/"]').first().click();
    const workspaceUrl = page.url();
    attackerPage = `<!doctype html><form id="f" method="post" action="${workspaceUrl}/settings/rename">
      <input name="name" value="pwned"><input name="_csrf" value="guess"></form>
      <script>document.getElementById("f").submit()</script>`;
    const answer = page.waitForResponse((res) => res.url().endsWith("/settings/rename"));
    await page.goto(attackerUrl);
    expect((await answer).status()).toBe(403);
    await page.goto(`${workspaceUrl}/settings`);
    expect(await page.getByLabel("Name").inputValue()).not.toBe("pwned");
    await context.close();
  }, 60_000);

  it("works with JavaScript off: sign in, create a key, revoke it", async () => {
    const setup = await browser.newContext();
    const address = email();
    const first = await setup.newPage();
    await signUp(first, address);
    await verify(first, address);
    await setup.close();

    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    await page.getByLabel("Email").fill(address);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${base}/app`);
    await page.locator('a[href^="/app/w/"]').first().click();
    await page.goto(`${page.url()}/keys`);
    await page.getByLabel("Name").fill("no-script");
    await page.getByRole("button", { name: "Create key" }).click();
    const token = (await page.locator("#new-key-token").textContent())?.trim() ?? "";
    expect(token).toMatch(/^isk_/);
    // Without script the copy button stays hidden; the key is plain selectable text.
    expect(await page.getByRole("button", { name: "Copy" }).isVisible()).toBe(false);
    await page.getByRole("link", { name: "Revoke no-script" }).click();
    await page.getByRole("button", { name: "Revoke no-script" }).click();
    await page.getByText("Key revoked.").waitFor();
    await context.close();
  }, 90_000);
});
