// The dashboard's forms after issue 30 (items 8, 15, 16, 17), through the real Worker with a cookie
// jar: every POST redirects, a new key's secret is shown once on the GET and never again, key names
// are unique, a revoke asks first, errors read as sentences, an invitation carries through sign-up,
// and the rows page counts and pages back.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/control/client";
import { apiKeys, memberships, users } from "../../src/db/control/schema";
import { readOutbox } from "../../src/services/mail";
import { call, testConfig, testContext } from "../helpers";
import { Browser, ORIGIN, signedUpBrowser, textOf } from "./helpers";

const db = () => controlDb(testConfig());
const FLASH = "__Host-islet_flash";
const INVITATION = "__Host-islet_invitation";

/** Posts a form without following the redirect, so the POST's own answer can be checked. */
async function postOnly(browser: Browser, path: string, fields: Record<string, string | string[]>) {
  const body = new URLSearchParams({ _csrf: browser.csrf });
  for (const [name, value] of Object.entries(fields)) {
    for (const v of Array.isArray(value) ? value : [value]) body.append(name, v);
  }
  return browser.raw("POST", path, {
    body: body.toString(),
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Origin: ORIGIN,
      "Sec-Fetch-Site": "same-origin",
    },
  });
}

const visible = (html: string) =>
  html
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/ ([,.:;])/g, "$1");

describe("a new key", () => {
  it("is answered by a redirect; its secret shows on the first GET only and a reload mints nothing", async () => {
    const { browser, workspaceId } = await signedUpBrowser();
    const ws = `/app/w/${workspaceId}`;
    await browser.get(`${ws}/keys`);
    const res = await postOnly(browser, `${ws}/keys`, { name: "backend", scopes: "data:read" });
    expect(res.status).toBe(303);
    const location = res.headers.get("Location") ?? "";
    expect(location).toBe(`${ws}/keys`);
    expect(await res.text()).not.toContain("isk_");
    // The sealed flash carries it: the cookie is not the token, nor readable as it.
    const sealed = browser.cookies.get(FLASH) ?? "";
    expect(sealed).toMatch(/^v\d+\./);
    expect(sealed).not.toContain("isk_");
    // A flash does not open in another session (copied cookie), and stays unconsumed by it.
    const { browser: other, workspaceId: otherWs } = await signedUpBrowser("Eve");
    other.cookies.set(FLASH, sealed);
    const elsewhere = await other.get(`/app/w/${otherWs}/keys`);
    expect(elsewhere.html).not.toContain("isk_");

    const first = await browser.get(location);
    const token = textOf(first.html, "new-key-token") ?? "";
    expect(token).toMatch(/^isk_/);
    expect(visible(first.html)).toContain('Key "backend" created.');
    expect(browser.cookies.has(FLASH)).toBe(false);
    const reload = await browser.get(location);
    expect(reload.html).not.toContain(token);
    expect(reload.html).not.toContain("will not be shown again");
    const keys = await db().select().from(apiKeys).where(eq(apiKeys.workspaceId, workspaceId));
    expect(keys).toHaveLength(1);
  });

  it("refuses a duplicate name with a sentence, and asks before revoking", async () => {
    const { browser, workspaceId } = await signedUpBrowser();
    const ws = `/app/w/${workspaceId}`;
    await browser.get(`${ws}/keys`);
    await browser.submit(`${ws}/keys`, { name: "backend", scopes: "data:read" });
    const twice = await browser.submit(`${ws}/keys`, { name: "Backend", scopes: "data:read" });
    expect(twice.status).toBe(409);
    const text = visible(twice.html);
    expect(text).toContain(
      'A live key named "Backend" already exists in this workspace; choose another name.',
    );
    expect(text).not.toMatch(/\[[a-z_]+\]/);
    expect(twice.html).toContain('data-code="key_name_taken"');

    const [key] = await db().select().from(apiKeys).where(eq(apiKeys.workspaceId, workspaceId));
    const list = await browser.get(`${ws}/keys`);
    // The list links to a confirmation page; only its form revokes.
    expect(list.html).toContain(`href="${ws}/keys/${key?.id}/revoke"`);
    expect(list.html).not.toContain(`action="${ws}/keys/${key?.id}/revoke"`);
    const confirm = await browser.get(`${ws}/keys/${key?.id}/revoke`);
    expect(confirm.status).toBe(200);
    expect(visible(confirm.html)).toContain('Revoke the key "backend"?');
    expect(confirm.html).toContain(`action="${ws}/keys/${key?.id}/revoke"`);
    const [still] = await db()
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.id, key?.id ?? ""));
    expect(still?.revokedAt).toBeNull();
    const revoked = await browser.submit(`${ws}/keys/${key?.id}/revoke`, {});
    expect(revoked.html).toContain("Key revoked.");
  });
});

describe("errors and numbers on the pages", () => {
  it("say errors in sentences (no raw codes), times with their zone, numbers typed", async () => {
    const browser = new Browser();
    await browser.get("/signup");
    const weak = await browser.submit("/signup", {
      email: `weak-${Date.now()}@example.com`,
      password: "short",
      region: "eu-west",
    });
    expect(weak.status).toBe(400);
    expect(visible(weak.html)).not.toMatch(/\[(weak_password|[a-z_]+)\]/);
    expect(weak.html).toContain('data-code="weak_password"');

    const { browser: signed, workspaceId } = await signedUpBrowser();
    const keys = await signed.get(`/app/w/${workspaceId}/keys`);
    for (const name of ["perMinute", "monthlyCap", "expiresInDays"]) {
      expect(keys.html).toMatch(new RegExp(`name="${name}" type="number"`));
    }
    const account = await signed.get("/app/account");
    expect(visible(account.html)).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
  });

  it("counts a table's rows and pages back as well as forward", async () => {
    const { browser, workspaceId } = await signedUpBrowser();
    const ws = `/app/w/${workspaceId}`;
    await browser.get(`${ws}/keys`);
    const made = await browser.submit(`${ws}/keys`, { name: "seed", scopes: ["data:write", "schema:write"] });
    const token = textOf(made.html, "new-key-token") ?? "";
    const api = (path: string, body: unknown) =>
      call("POST", `/v1/workspaces/${workspaceId}${path}`, { token, body });
    expect((await api("/tables", { name: "n", columns: [{ name: "v", type: "integer" }] })).status).toBe(201);
    const rows = Array.from({ length: 1234 }, (_, i) => ({ v: i }));
    for (let i = 0; i < rows.length; i += 500) {
      expect((await api("/tables/n/rows", { rows: rows.slice(i, i + 500) })).status).toBe(201);
    }
    const first = await browser.get(`${ws}/tables/n`);
    expect(visible(first.html)).toContain("Rows 1–25 of 1,234");
    expect(first.html).not.toContain('rel="prev"');
    const next = /href="([^"]+)" rel="next"/.exec(first.html)?.[1]?.replace(/&amp;/g, "&") ?? "";
    const second = await browser.get(next);
    expect(visible(second.html)).toContain("Rows 26–50 of 1,234");
    const third = await browser.get(
      /href="([^"]+)" rel="next"/.exec(second.html)?.[1]?.replace(/&amp;/g, "&") ?? "",
    );
    expect(visible(third.html)).toContain("Rows 51–75 of 1,234");
    const back = /href="([^"]+)" rel="prev"/.exec(third.html)?.[1]?.replace(/&amp;/g, "&") ?? "";
    const again = await browser.get(back);
    expect(visible(again.html)).toContain("Rows 26–50 of 1,234");
    expect(again.html).toContain("<code>25</code>");
    const home = /href="([^"]+)" rel="prev"/.exec(again.html)?.[1]?.replace(/&amp;/g, "&") ?? "";
    expect(home).toBe(`${ws}/tables/n`);
    const filtered = await browser.get(`${ws}/tables/n?fcol=v&fop=lt&fval=30`);
    expect(visible(filtered.html)).toContain("Rows 1–25 of 30 matching the filter");
  });
});

describe("an invitation, opened by someone without an account", () => {
  it("names workspace, inviter and role; sign-up keeps it, prefills the address, joins verified, no personal workspace, one mail", async () => {
    const { browser: owner, workspaceId, email: ownerEmail } = await signedUpBrowser("Ada");
    const ws = `/app/w/${workspaceId}`;
    const members = await owner.get(`${ws}/members`);
    expect(members.html).toMatch(/<option value="member" selected="">member<\/option>/);
    const invitee = `invitee-${Date.now()}@example.com`;
    const since = Date.now();
    const sent = await owner.submit(`${ws}/members/invite`, { email: invitee, role: "viewer" });
    expect(visible(sent.html)).toContain(`Invitation sent to ${invitee} as viewer.`);
    const changed = await owner.submit(`${ws}/members/invite`, { email: invitee, role: "member" });
    expect(visible(changed.html)).toContain("the role changed from viewer to member");

    owner.ip = "127.0.0.1";
    const mails = await readOutbox({ ctx: testContext(), input: { to: invitee, since } });
    expect(mails).toHaveLength(2);
    const link = /(\/invitations\/accept\?token=[0-9a-f]{64})/.exec(mails[0]?.text ?? "")?.[1] ?? "";
    const latest = mails.find((m) => m.text.includes("as member")) ?? mails[0];
    const current = /(\/invitations\/accept\?token=[0-9a-f]{64})/.exec(latest?.text ?? "")?.[1] ?? link;

    const guest = new Browser();
    const opened = await guest.raw("GET", current);
    expect(opened.status).toBe(303);
    expect(opened.headers.get("Location")).toBe("/invitations/accept");
    expect(guest.cookies.get(INVITATION)).toMatch(/^[0-9a-f]{64}$/);
    // Remembered for an hour, not the invitation's 7 days: a link someone else made this browser
    // follow does not wait in its sign-up form for days.
    const remembered = opened.headers.getSetCookie().find((c) => c.startsWith(`${INVITATION}=`)) ?? "";
    expect(remembered).toMatch(/Max-Age=3600(;|$)/);
    const page = await guest.get("/invitations/accept");
    const text = visible(page.html);
    expect(text).toContain(`Join Ada's workspace on islet`);
    expect(text).toContain(`Ada (${ownerEmail}) invited ${invitee} to join Ada's workspace as member`);
    expect(page.html).not.toMatch(/token=[0-9a-f]{64}/);

    const signup = await guest.get("/signup");
    expect(signup.html).toMatch(new RegExp(`name="email" type="email" value="${invitee}"[^>]*readonly`));
    expect(signup.html).not.toContain('name="region"');
    const joined = await guest.submit("/signup", {
      name: "Grace",
      email: invitee,
      password: "correct horse battery staple 42",
    });
    expect(joined.path).toBe(`${ws}?notice=joined`);
    expect(joined.status).toBe(200);
    expect(guest.cookies.has(INVITATION)).toBe(false);

    const [user] = await db().select().from(users).where(eq(users.email, invitee));
    expect(user?.emailVerifiedAt).not.toBeNull();
    const held = await db()
      .select()
      .from(memberships)
      .where(eq(memberships.userId, user?.id ?? ""));
    expect(held.map((m) => [m.workspaceId, m.role])).toEqual([[workspaceId, "member"]]);
    const after = await readOutbox({
      ctx: testContext(),
      input: { to: invitee, since: Date.now() - 60_000 },
    });
    expect(after.filter((m) => !m.text.includes("/invitations/accept"))).toHaveLength(0);
  });

  it("lets a stranger drop it, and tells a signed-in person with another address without accepting for them", async () => {
    const { browser: owner, workspaceId } = await signedUpBrowser("Ada");
    const invitee = `invitee-${Date.now()}@example.com`;
    const since = Date.now();
    await owner.submit(`/app/w/${workspaceId}/members/invite`, { email: invitee, role: "member" });
    const [mail] = await readOutbox({ ctx: testContext(), input: { to: invitee, since } });
    const link = /(\/invitations\/accept\?token=[0-9a-f]{64})/.exec(mail?.text ?? "")?.[1] ?? "";
    // A browser sent the link by someone else drops the invitation and signs up on its own.
    const stranger = new Browser();
    await stranger.get(link);
    expect(stranger.cookies.has(INVITATION)).toBe(true);
    const invited = await stranger.get("/signup");
    expect(invited.html).not.toContain('name="region"');
    const dropped = await stranger.submit("/invitations/forget", {});
    expect(dropped.path).toBe("/signup");
    expect(stranger.cookies.has(INVITATION)).toBe(false);
    expect(dropped.html).toContain('name="region"');
    expect(dropped.html).not.toContain(invitee);

    const { browser: someone, email } = await signedUpBrowser("Mallory");
    const page = await someone.get(link);
    expect(visible(page.html)).toContain(
      `You are signed in as ${email}, but this invitation is for ${invitee}.`,
    );
    expect(page.html).not.toContain('action="/invitations/accept"');
  });
});
