// /docs in a real headless Chromium against the real Worker (wrangler's local runtime): the API
// reference renders every operation from /openapi.json and "try it out" works, with zero
// Content-Security-Policy violations under the strict, nonce-based policy.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../bench/_stack";
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

describe("/docs in a browser", () => {
  it("renders every operation and runs one, with no CSP violation", async () => {
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    await page.exposeFunction("reportViolation", (text: string) => violations.push(text));
    // As a string: this runs in the page, whose DOM types this Node file does not load.
    await page.addInitScript(`document.addEventListener("securitypolicyviolation", (e) =>
      window.reportViolation(e.violatedDirective + " " + e.blockedURI));`);
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
});
