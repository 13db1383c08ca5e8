// /docs in a real headless Chromium against the real Worker (wrangler's local runtime): the API
// reference renders every operation from /openapi.json and "try it out" works, with zero
// Content-Security-Policy violations under the strict, nonce-based policy. Issue 30 item 9: a
// filtered rows list runs from Swagger as prefilled (the filter a deepObject) and answers 200 with
// the filtered rows.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, seedOwner, startStack } from "../bench/_stack";
import { launchChromium } from "./chromium";

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack({ worker: true });
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

const SHOTS = join(import.meta.dirname, "..", "test-output", "screenshots");

/** Collects CSP violations from the page's console and its securitypolicyviolation events. */
async function watchCsp(page: Page): Promise<string[]> {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  await page.exposeFunction("reportViolation", (text: string) => violations.push(text));
  // As a string: this runs in the page, whose DOM types this Node file does not load.
  await page.addInitScript(`document.addEventListener("securitypolicyviolation", (e) =>
      window.reportViolation(e.violatedDirective + " " + e.blockedURI));`);
  return violations;
}

describe("/docs in a browser", () => {
  it("renders every operation and runs one, with no CSP violation", async () => {
    const page = await browser.newPage();
    const violations = await watchCsp(page);
    const res = await page.goto(`${stack.workerUrl}/docs`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()["content-security-policy"]).toMatch(/script-src 'self' 'nonce-/);

    await page.waitForSelector(".opblock", { timeout: 30_000 });
    expect(await page.locator(".opblock").count()).toBeGreaterThan(40);

    // Interactive: open GET /health, try it out, execute — a same-origin call under connect-src.
    const health = page.locator(".opblock-get", { hasText: "/health" }).first();
    await health.locator(".opblock-summary").click();
    await health.getByRole("button", { name: "Try it out" }).click();
    await health.getByRole("button", { name: "Execute" }).click();
    const status = health.locator(".live-responses-table tbody .response-col_status").first();
    await status.waitFor({ timeout: 15_000 });
    expect(await status.textContent()).toMatch(/^\s*(200|503)/);
    expect(violations).toEqual([]);
    await page.close();
  }, 90_000);

  it("filters rows with try it out, the prefilled filter sent as a deep object", async () => {
    const owner = await seedOwner(stack.vars);
    const base = `${stack.workerUrl}/v1/workspaces/${owner.workspace.id}`;
    const rest = async (path: string, body: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${owner.token}`, "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(res.status, await res.clone().text()).toBeLessThan(300);
    };
    await rest("/tables", { name: "notes", columns: [{ name: "title", type: "text" }] });
    await rest("/tables/notes/rows", { rows: [{ title: "hello" }, { title: "world" }, { title: "hello" }] });

    const page = await browser.newPage();
    const violations = await watchCsp(page);
    await page.goto(`${stack.workerUrl}/docs`);
    await page.waitForSelector(".opblock", { timeout: 30_000 });
    // Tag groups in the document's order: what a newcomer reaches for first.
    const groups = await page.locator(".opblock-tag-section h3 .nostyle span").allTextContents();
    expect(groups.slice(0, 4)).toEqual(["Auth", "Tables", "Rows", "Keys"]);
    expect(groups.at(-1)).toBe("Operator");

    // Authorize with the access token (the accessToken bearer scheme).
    await page.getByRole("button", { name: "Authorize" }).first().click();
    const scheme = page.locator(".auth-container", { hasText: "accessToken" }).first();
    await scheme.locator("input").first().fill(owner.token);
    await scheme.locator("button.authorize").click();
    await page.locator(".modal-ux button.btn-done").first().click();

    // Swagger UI names the block from the tag and the operationId.
    const list = page.locator("#operations-Rows-listRows");
    await list.locator(".opblock-summary").click();
    await list.getByRole("button", { name: "Try it out" }).click();
    await list.locator('tr[data-param-name="workspaceId"] input').fill(owner.workspace.id);
    await list.locator('tr[data-param-name="table"] input').fill("notes");
    // The filter stays as the document's example prefilled it.
    const filter = list.locator('tr[data-param-name="filter"] textarea');
    expect(JSON.parse(await filter.inputValue())).toEqual({ title: { eq: "hello" } });
    await list.getByRole("button", { name: "Execute" }).click();

    const status = list.locator(".live-responses-table tbody .response-col_status").first();
    await status.waitFor({ timeout: 15_000 });
    expect((await status.textContent())?.trim()).toBe("200");
    const url = (await list.locator(".request-url pre").first().textContent()) ?? "";
    expect(decodeURIComponent(url)).toContain("filter[title]=");
    const body = JSON.parse(
      (await list.locator(".live-responses-table .response-col_description pre").first().textContent()) ??
        "{}",
    ) as { rows: { title: string }[] };
    expect(body.rows.map((r) => r.title)).toEqual(["hello", "hello"]);
    mkdirSync(SHOTS, { recursive: true });
    await list.screenshot({ path: join(SHOTS, "docs-try-it-out-filter.png") });
    expect(violations).toEqual([]);
    await page.close();
  }, 120_000);
});
