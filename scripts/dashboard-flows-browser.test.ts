// Issue 30's dashboard items in a real headless Chromium against the real Worker: the invitation
// journey end to end (invite → open the link → create an account with the address prefilled →
// member, verified, no personal workspace, one mail), a key's secret shown once and never minted
// twice by a reload, a duplicate name refused in a sentence, a revoke that asks first, and the main
// pages reflowing on a 390 px phone. Zero CSP violations and console errors throughout; screenshots
// go to test-output/screenshots (git-ignored).
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../bench/_stack";
import { launchChromium } from "./chromium";

const SHOTS = join(import.meta.dirname, "..", "test-output", "screenshots");
const PASSWORD = "correct horse battery staple 42";
const PHONE = { width: 390, height: 844 };

let stack: Stack;
let browser: Browser;
let base: string;

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  stack = await startStack({ worker: true });
  base = stack.workerUrl ?? "";
  browser = await launchChromium();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** Every page of a context reports CSP violations, console errors and uncaught errors here. */
async function watched(context: BrowserContext, allowed: RegExp[] = []) {
  const problems: string[] = [];
  await context.exposeFunction("reportViolation", (text: string) => problems.push(`csp: ${text}`));
  await context.addInitScript(`document.addEventListener("securitypolicyviolation", (e) =>
    window.reportViolation(e.violatedDirective + " " + e.blockedURI + " " + e.documentURI));`);
  context.on("page", (page) => {
    page.on("console", (message) => {
      const text = `console: ${message.text()} @ ${page.url()}`;
      if (message.type() === "error" && !allowed.some((re) => re.test(text))) problems.push(text);
    });
    page.on("pageerror", (error) => problems.push(`pageerror: ${error.message} @ ${page.url()}`));
  });
  return problems;
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

/** The elements reaching past the screen's right edge (as a string: it runs in the page). */
const WIDEST = `[...document.querySelectorAll("body *")]
  .filter((e) => e.getBoundingClientRect().right > 390.5)
  .slice(0, 8)
  .map((e) => e.tagName.toLowerCase() + (e.className ? "." + e.className : "") + ":" + Math.round(e.getBoundingClientRect().right))`;

const email = (who: string) => `${who}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;

async function signUp(page: Page, address: string, name = "Ada") {
  await page.goto(`${base}/signup`);
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Email").fill(address);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByLabel("Region for your workspace's database").selectOption("eu-west");
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.waitForURL(`${base}/app`);
  await page.goto(`${base}/dev/outbox?to=${encodeURIComponent(address)}`);
  await page.locator('a[href*="/verify-email?token="]').first().click();
  await page.getByRole("button", { name: "Verify my email" }).click();
  await page.getByText("Your email address is verified.").waitFor();
  await page.goto(`${base}/app`);
  await page.locator('a[href^="/app/w/"]').first().click();
  return page.url();
}

const mailsTo = async (page: Page, address: string) => {
  await page.goto(`${base}/dev/outbox?to=${encodeURIComponent(address)}`);
  return page.locator("article");
};

describe("the dashboard's flows in Chromium", () => {
  it("carries an invitee from the link to membership: prefilled, verified, no personal workspace, one mail", async () => {
    const owners = await browser.newContext();
    const ownerProblems = await watched(owners);
    const owner = await owners.newPage();
    const ownerEmail = email("owner");
    const workspaceUrl = await signUp(owner, ownerEmail, "Ada");
    const workspaceId = /\/app\/w\/(ws_[0-9a-z]+)/.exec(workspaceUrl)?.[1] ?? "";

    await owner.goto(`${workspaceUrl}/members`);
    const inviteRole = owner.locator('form[action$="/members/invite"] select[name="role"]');
    expect(await inviteRole.inputValue()).toBe("member");
    const invitee = email("invitee");
    await owner.getByLabel("Email").fill(invitee);
    await owner.getByRole("button", { name: "Send invitation" }).click();
    await owner.getByText(`Invitation sent to ${invitee} as member.`).waitFor();
    // A second invitation with another role says what changed.
    await owner.getByLabel("Email").fill(invitee);
    await inviteRole.selectOption("viewer");
    await owner.getByRole("button", { name: "Send invitation" }).click();
    await owner.getByText("the role changed from member to viewer").waitFor();
    await shot(owner, "invite-sent");

    const mails = await mailsTo(owner, invitee);
    expect(await mails.count()).toBe(2);
    // The second mail carries the invitation that still works (the first was replaced).
    const link =
      (await mails
        .filter({ hasText: "as viewer" })
        .locator('a[href*="/invitations/accept?token="]')
        .getAttribute("href")) ?? "";
    expect(link).toContain("/invitations/accept?token=");

    const invitees = await browser.newContext();
    const problems = await watched(invitees);
    const page = await invitees.newPage();
    await page.goto(link);
    // The token leaves the address bar (and so the history) at once.
    expect(page.url()).toBe(`${base}/invitations/accept`);
    const summary = page.getByRole("status");
    await expect.poll(() => summary.textContent()).toContain(`Ada (${ownerEmail}) invited ${invitee}`);
    expect(await summary.textContent()).toContain("Ada's workspace");
    expect(await summary.textContent()).toContain("as viewer");
    await shot(page, "invitation");
    await page.getByRole("link", { name: "Create an account" }).click();
    await page.waitForURL(`${base}/signup`);
    const address = page.getByLabel("Email");
    expect(await address.inputValue()).toBe(invitee);
    expect(await address.getAttribute("readonly")).not.toBeNull();
    expect(await page.getByLabel("Region for your workspace's database").count()).toBe(0);
    await shot(page, "signup-invited");
    await page.getByLabel("Name").fill("Grace");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign up and join Ada's workspace" }).click();
    await page.waitForURL(`${base}/app/w/${workspaceId}?notice=joined`);
    await page.getByText("You joined the workspace.").waitFor();
    expect(await page.locator("nav.side").textContent()).toContain("Your role: viewer");
    await shot(page, "joined");

    const session = (await (await page.request.get(`${base}/v1/auth/session`)).json()) as {
      user: { emailVerified: boolean };
      workspace: unknown;
    };
    expect(session.user.emailVerified).toBe(true);
    expect(session.workspace, "no personal workspace").toBeNull();
    await page.goto(`${base}/app`);
    expect(
      await page.locator('a[href^="/app/w/"]').evaluateAll((as) => as.map((a) => a.getAttribute("href"))),
    ).toEqual([`/app/w/${workspaceId}`]);
    // The invitations only: no verification mail followed.
    expect(await (await mailsTo(owner, invitee)).count()).toBe(2);
    await owner.goto(`${workspaceUrl}/members`);
    await owner.getByRole("cell", { name: invitee }).first().waitFor();

    expect(problems).toEqual([]);
    expect(ownerProblems).toEqual([]);
    await invitees.close();
    await owners.close();
  }, 180_000);

  it("shows a new key's secret once, mints nothing on reload, refuses a duplicate name, asks before revoking", async () => {
    const context = await browser.newContext();
    // The refused duplicate is a 409 page: its console line is the one allowed.
    const problems = await watched(context, [/status of 409/]);
    const page = await context.newPage();
    const workspaceUrl = await signUp(page, email("keys"));
    await page.goto(`${workspaceUrl}/keys`);
    await page.getByLabel("Name").fill("backend");
    await page.getByRole("button", { name: "Create key" }).click();
    await page.getByText("It will not be shown again").waitFor();
    // The secret arrived on a GET (POST-redirect-GET): the address is the list's, nothing in it.
    expect(page.url()).toBe(`${workspaceUrl}/keys`);
    const token = (await page.locator("#new-key-token").textContent())?.trim() ?? "";
    expect(token).toMatch(/^isk_/);
    await shot(page, "key-created-once");
    await page.reload();
    expect(await page.content()).not.toContain(token);
    expect(await page.getByText("It will not be shown again").count()).toBe(0);
    expect(await page.locator("table.data tbody tr").count()).toBe(1);
    await page.goBack().catch(() => undefined);
    expect(await page.content()).not.toContain(token);

    await page.goto(`${workspaceUrl}/keys`);
    await page.getByLabel("Name").fill("Backend");
    await page.getByRole("button", { name: "Create key" }).click();
    const error = page.getByRole("alert");
    await error.waitFor();
    expect(await error.textContent()).toBe(
      'A live key named "Backend" already exists in this workspace; choose another name.',
    );
    expect(await page.locator("main").textContent()).not.toMatch(/\[[a-z_]+\]/);
    await shot(page, "key-name-taken");

    await page.goto(`${workspaceUrl}/keys`);
    await page.getByRole("link", { name: "Revoke backend" }).click();
    await page.getByRole("heading", { name: 'Revoke the key "backend"?' }).waitFor();
    await shot(page, "key-revoke-confirm");
    await page.getByRole("link", { name: "Cancel" }).click();
    expect(await page.locator("table.data").textContent()).toContain("active");
    await page.getByRole("link", { name: "Revoke backend" }).click();
    await page.getByRole("button", { name: "Revoke backend" }).click();
    await page.getByText("Key revoked.").waitFor();
    expect(await page.locator("table.data").textContent()).toContain("revoked");
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  it("reflows every main page on a 390 px phone: nothing wider than the screen", async () => {
    const desk = await browser.newContext();
    const setup = await desk.newPage();
    const address = email("phone");
    const workspaceUrl = await signUp(setup, address);
    await setup.getByLabel("Table name").fill("orders");
    await setup.locator("fieldset").first().getByLabel("Name").fill("item");
    await setup.getByRole("button", { name: "Create table" }).click();
    await setup.getByText("Table created.").waitFor();
    await setup.getByLabel("item (text)").fill("a rather long item name that should wrap on a phone");
    await setup.getByRole("button", { name: "Insert" }).click();
    await setup.getByText("Row saved.").waitFor();
    const state = await desk.storageState();
    await desk.close();

    const phone = await browser.newContext({ viewport: PHONE, storageState: state });
    const problems = await watched(phone);
    const page = await phone.newPage();
    const pages: [string, string][] = [
      ["workspaces", `${base}/app`],
      ["tables", workspaceUrl],
      ["rows", `${workspaceUrl}/tables/orders`],
      ["keys", `${workspaceUrl}/keys`],
      ["members", `${workspaceUrl}/members`],
      ["secrets", `${workspaceUrl}/secrets`],
      ["webhooks", `${workspaceUrl}/webhooks`],
      ["functions", `${workspaceUrl}/functions`],
      ["issuers", `${workspaceUrl}/issuers`],
      ["audit", `${workspaceUrl}/audit`],
      ["usage", `${workspaceUrl}/usage`],
      ["settings", `${workspaceUrl}/settings`],
      ["account", `${base}/app/account`],
    ];
    const widths: Record<string, number> = {};
    /** What sticks out, for the failure message. */
    const overflowing: Record<string, unknown> = {};
    for (const [name, url] of pages) {
      const res = await page.goto(url);
      expect(res?.status(), name).toBe(200);
      widths[name] = Number(await page.evaluate("document.scrollingElement.scrollWidth"));
      if (widths[name] > PHONE.width) overflowing[name] = await page.evaluate(WIDEST);
      await shot(page, `phone-${name}`);
    }
    await phone.clearCookies();
    for (const [name, path] of [
      ["signup", "/signup"],
      ["login", "/login"],
    ] as const) {
      await page.goto(`${base}${path}`);
      widths[name] = Number(await page.evaluate("document.scrollingElement.scrollWidth"));
      await shot(page, `phone-${name}`);
    }
    const wide = Object.entries(widths).filter(([, width]) => width > PHONE.width);
    expect(wide, JSON.stringify({ widths, overflowing })).toEqual([]);
    expect(problems).toEqual([]);
    await phone.close();
  }, 180_000);
});
