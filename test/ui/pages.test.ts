// The dashboard inside workerd: pages answer with the page CSP and the strict headers, forms
// work as forms (cookie session, CSRF field), cross-site posts are refused, user content is
// escaped, and the core journey works end to end without any script.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import { controlDb } from "../../src/db/control/client";
import { type WorkspaceRow, workspaces } from "../../src/db/control/schema";
import { tenantDb } from "../../src/db/tenant/client";
import { PAGE_PATHS } from "../../src/ui";
import { testConfig } from "../helpers";
import { Browser, ORIGIN, signedUpBrowser, textOf } from "./helpers";

const XSS = [
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "javascript:alert(1)",
  "{{constructor.constructor('alert(1)')()}}",
  // A template-literal injection, written so no tool mistakes it for one of ours.
  ["$", "{alert(1)}"].join(""),
];

describe("dashboard pages", () => {
  it("answer with the page policy: nonce + strict-dynamic, no framing, reports", async () => {
    const browser = new Browser();
    const page = await browser.get("/login");
    expect(page.status).toBe(200);
    const csp = page.res.headers.get("Content-Security-Policy") ?? "";
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
    for (const directive of [
      "default-src 'none'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "object-src 'none'",
      "form-action 'self'",
      "report-uri /csp-report",
      "report-to csp",
    ]) {
      expect(csp).toContain(directive);
    }
    expect(page.res.headers.get("Reporting-Endpoints")).toContain("csp=");
    expect(page.res.headers.get("X-Frame-Options")).toBe("DENY");
    expect(page.res.headers.get("Cross-Origin-Opener-Policy")).toBe("same-origin");
    expect(page.res.headers.get("Cross-Origin-Resource-Policy")).toBe("same-origin");
    expect(page.res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(page.res.headers.get("Cache-Control")).toBe("no-store");
    // No inline script: the only script is the hashed module, with the nonce and its integrity.
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    const scripts = [...page.html.matchAll(/<script\b[^>]*>/g)].map(([tag]) => tag);
    expect(scripts).toHaveLength(1);
    expect(scripts[0]).toContain(`nonce="${nonce}"`);
    expect(scripts[0]).toMatch(/src="\/assets\/app\.[0-9a-f]{16}\.js"/);
    expect(scripts[0]).toMatch(/integrity="sha384-/);
    expect(page.html).not.toMatch(/\son[a-z]+=/i);
  });

  it("serve hashed assets with immutable caching and the integrity they are referenced with", async () => {
    const browser = new Browser();
    const page = await browser.get("/login");
    const src = /src="(\/assets\/app\.[0-9a-f]+\.js)" integrity="(sha384-[^"]+)"/.exec(page.html);
    expect(src).not.toBeNull();
    const res = await browser.raw("GET", src?.[1] ?? "");
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toContain("immutable");
    const digest = await crypto.subtle.digest("SHA-384", new Uint8Array(await res.arrayBuffer()));
    const b64 = btoa(String.fromCharCode(...new Uint8Array(digest)));
    expect(`sha384-${b64}`).toBe(src?.[2]);
    expect((await browser.raw("GET", "/assets/app.0000000000000000.js")).status).toBe(404);
  });

  it("keeps default-src 'none' without a nonce on API answers, and HSTS only on HTTPS", async () => {
    const browser = new Browser();
    const api = await browser.raw("GET", "/health");
    const csp = api.headers.get("Content-Security-Policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("script-src");
    // The test deployment is plain HTTP on loopback: no HSTS; see test/foundation/app.test.ts for HTTPS.
    expect(api.headers.get("Strict-Transport-Security")).toBeNull();
  });

  it("send signed-out visitors to sign in and back", async () => {
    const browser = new Browser();
    const res = await browser.raw("GET", "/app/account");
    expect(res.status).toBe(303);
    expect(res.headers.get("Location")).toBe("/login?next=%2Fapp%2Faccount");
  });

  it("refuse a form without this browser's token, from another origin, or from another site", async () => {
    const { browser, workspaceId } = await signedUpBrowser();
    const path = `/app/w/${workspaceId}/keys`;
    const form = (csrf: string) =>
      new URLSearchParams({ _csrf: csrf, name: "k", scopes: "data:read" }).toString();
    const post = (body: string, headers: Record<string, string>) =>
      browser.raw("POST", path, {
        body,
        headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
      });
    expect((await post(form(""), { Origin: ORIGIN })).status).toBe(403);
    expect((await post(form("forged"), { Origin: ORIGIN })).status).toBe(403);
    expect((await post(form(browser.csrf), { Origin: "https://evil.example" })).status).toBe(403);
    expect((await post(form(browser.csrf), { Origin: "null" })).status).toBe(403);
    expect((await post(form(browser.csrf), { Origin: "null", "Sec-Fetch-Site": "same-site" })).status).toBe(
      403,
    );
    expect((await post(form(browser.csrf), { "Sec-Fetch-Site": "cross-site" })).status).toBe(403);
    const json = await browser.raw("POST", path, {
      body: JSON.stringify({ _csrf: browser.csrf, name: "k" }),
      headers: { "Content-Type": "application/json", Origin: ORIGIN },
    });
    expect(json.status).toBe(415);
    const keys = await browser.get(path);
    expect(keys.html).toContain("No keys yet.");
    // The same browser, with its token and same-origin headers, gets through.
    const ok = await browser.submit(path, { name: "ok", scopes: "data:read" });
    expect(ok.status).toBe(200);
    expect(ok.html).toContain("It will not be shown again");
  });

  it("render user content as text: workspace names, row values, key names, function logs", async () => {
    const { browser, workspaceId } = await signedUpBrowser(XSS[1]);
    const ws = `/app/w/${workspaceId}`;
    await browser.submit(`${ws}/settings/rename`, { name: XSS[0] ?? "" });
    const created = await browser.submit(`${ws}/tables`, {
      name: "notes",
      "c0.name": "body",
      "c0.type": "text",
    });
    expect(created.status).toBe(200);
    for (const value of XSS) await browser.submit(`${ws}/tables/notes/rows`, { "col.body": value });
    // A table named with markup is refused, and the refusal is text too.
    const bad = await browser.submit(`${ws}/tables`, {
      name: XSS[0] ?? "",
      "c0.name": XSS[1] ?? "",
      "c0.type": "text",
    });
    expect(bad.status).toBe(400);
    await browser.submit(`${ws}/keys`, { name: XSS[1] ?? "", scopes: "data:read" });
    const rows = await browser.get(`${ws}/tables/notes`);
    for (const page of [
      rows.html,
      (await browser.get(`${ws}/keys`)).html,
      (await browser.get("/app")).html,
      bad.html,
    ]) {
      expect(page).not.toContain("<script>alert");
      expect(page).not.toContain("<img src=x");
    }
    expect(rows.html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(rows.html).not.toContain('href="javascript:');
  });

  it("work without script for the journey: table, rows, key (shown once), revoke, audit", async () => {
    const { browser, workspaceId } = await signedUpBrowser();
    const ws = `/app/w/${workspaceId}`;
    const table = await browser.submit(`${ws}/tables`, {
      name: "orders",
      "c0.name": "price",
      "c0.type": "real",
      "c1.name": "qty",
      "c1.type": "integer",
      "c2.name": "total",
      "c2.type": "formula",
      "c2.formula": "row.price * row.qty",
    });
    expect(table.path).toBe(`${ws}/tables/orders?notice=table_created`);
    const inserted = await browser.submit(`${ws}/tables/orders/rows`, { "col.price": "2.5", "col.qty": "4" });
    expect(inserted.html).toContain("Row saved.");
    expect(inserted.html).toContain("<code>10</code>");
    // A formula that fails stores null and says so.
    const failing = await browser.submit(`${ws}/tables/orders/rows`, { "col.price": "1" });
    expect(failing.status).toBe(200);

    const created = await browser.submit(`${ws}/keys`, {
      name: "backend",
      scopes: ["data:read", "data:write"],
    });
    const token = textOf(created.html, "new-key-token");
    expect(token).toMatch(/^isk_/);
    expect(created.html).toContain("It will not be shown again");
    const list = await browser.get(`${ws}/keys`);
    expect(list.html).not.toContain(token);
    const api = await exportsFetch(`/v1/workspaces/${workspaceId}/tables/orders/rows`, token ?? "");
    expect(api.status).toBe(200);

    const keyId = /\/keys\/([0-9a-z]+)\/revoke/.exec(list.html)?.[1];
    const revoked = await browser.submit(`${ws}/keys/${keyId}/revoke`, {});
    expect(revoked.html).toContain("Key revoked.");
    expect((await exportsFetch(`/v1/workspaces/${workspaceId}/tables/orders/rows`, token ?? "")).status).toBe(
      401,
    );
    const audit = await browser.get(`${ws}/audit?action=key.revoke`);
    expect(audit.html).toContain("key.revoke");

    const rowId = /\/rows\/(\d+)"/.exec(inserted.html)?.[1];
    const deleted = await browser.submit(`${ws}/tables/orders/rows/${rowId}/delete`, {});
    expect(deleted.html).toContain("Row deleted.");
    const verify = await browser.submit(`${ws}/audit/verify`, {});
    expect(verify.html).toContain("The chain verifies");
  });

  it("refreshes a lapsed access cookie once per page: the session survives /app and /verify-email", async () => {
    const { browser } = await signedUpBrowser();
    for (const path of ["/app", "/app/account", "/app"]) {
      browser.cookies.delete("__Host-islet_access");
      const res = await browser.raw("GET", path);
      expect(res.status, path).toBe(200);
      expect(browser.cookies.has("__Host-islet_access"), path).toBe(true);
    }
    // A form from a page under no-referrer: Origin null, and the browser's same-origin word.
    browser.cookies.delete("__Host-islet_access");
    const keys = await browser.submit("/app/demo", {}, { Origin: "null", "Sec-Fetch-Site": "same-origin" });
    const text = keys.html.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");
    expect(text, text.slice(0, 600)).toContain("Demo tables created.");
  });

  it("signs out, and the old cookies no longer open pages", async () => {
    const { browser } = await signedUpBrowser();
    const kept = new Map(browser.cookies);
    const out = await browser.submit("/logout", {});
    expect(out.path).toBe("/login?notice=signed_out");
    const stale = new Browser();
    for (const [k, v] of kept) stale.cookies.set(k, v);
    stale.cookies.delete("__Host-islet_access");
    const res = await stale.raw("GET", "/app");
    expect(res.status).toBe(303);
  });
});

async function exportsFetch(path: string, token: string): Promise<Response> {
  const { exports } = await import("cloudflare:workers");
  return exports.default.fetch(
    new Request(`${ORIGIN}${path}`, {
      headers: { Authorization: `Bearer ${token}`, "CF-Connecting-IP": "203.0.113.9" },
    }),
  );
}

describe("every dashboard section", () => {
  it("renders and acts: members, secrets, functions, issuers, webhooks, usage, settings, account, demo", {
    timeout: 60_000,
  }, async () => {
    const { browser, workspaceId } = await signedUpBrowser();
    const ws = `/app/w/${workspaceId}`;
    const ok = async (path: string) => {
      const page = await browser.get(path);
      expect(page.status, path).toBe(200);
      return page.html;
    };

    const invited = await browser.submit(`${ws}/members/invite`, {
      email: "friend@example.com",
      role: "member",
    });
    expect(invited.html).toMatch(
      /Invitation sent to friend@example.com as member\.|Pass this invitation link/,
    );
    expect(await ok(`${ws}/members`)).toContain("friend@example.com");

    const secret = "sk-live-ui-0123456789";
    const saved = await browser.submit(`${ws}/secrets`, { name: "API_TOKEN", value: secret, kind: "env" });
    expect(saved.html).toContain("Secret saved.");
    expect(saved.html).toContain("…6789");
    expect(saved.html).not.toContain(secret);

    const code = `async function main(args, env) { console.log("<script>alert(1)</script>", env.API_TOKEN); return { got: args.x, token: env.API_TOKEN }; }`;
    const fn = await browser.submit(`${ws}/functions`, {
      name: "echo",
      code,
      timeoutMs: "500",
      env: "API_TOKEN",
      envShown: "1",
    });
    expect(fn.html).toContain("Function saved.");
    const invoked = await browser.submit(`${ws}/functions/echo/invoke`, { args: '{"x": 42}' });
    expect(invoked.html).toContain("&quot;got&quot;: 42");
    expect(invoked.html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(invoked.html).not.toContain(secret);
    // The invocation was answered by a redirect: a reload shows the function, and runs nothing.
    expect(invoked.path).toBe(`${ws}/functions/echo`);
    expect(invoked.html).toContain("{&quot;x&quot;: 42}");
    const reloaded = await browser.get(`${ws}/functions/echo`);
    expect(reloaded.html).not.toContain("&quot;got&quot;: 42");
    const badArgs = await browser.submit(`${ws}/functions/echo/invoke`, { args: "{not json" });
    expect(badArgs.status).toBe(400);
    const thrown = await browser.submit(`${ws}/functions`, {
      name: "boom",
      code: "function main() { throw new Error('no'); }",
    });
    expect(thrown.status).toBe(200);
    const failed = await browser.submit(`${ws}/functions/boom/invoke`, { args: "{}" });
    expect(failed.html).toContain("sandbox_error");
    // A long answer full of what JSON escapes still comes back through the redirect, cut short,
    // rather than in a cookie too large for the browser to keep (then nothing would show).
    await browser.submit(`${ws}/functions`, {
      name: "loud",
      code: `function main() { console.log('"\\n'.repeat(2000)); return '"\\n'.repeat(3000); }`,
    });
    const loud = await browser.submit(`${ws}/functions/loud/invoke`, { args: '{"say": "\\"\\"\\""}' });
    expect(loud.path).toBe(`${ws}/functions/loud`);
    expect(loud.html).toContain("cut short here");

    const issuer = await browser.submit(`${ws}/issuers`, {
      name: "app",
      kind: "hs256",
      issuer: "https://app.example",
      audience: "islet",
      secret: "x".repeat(40),
      defaultRole: "viewer",
    });
    expect(issuer.html).toContain("Issuer registered.");
    expect(issuer.html).not.toContain("x".repeat(40));

    const hook = await browser.submit(`${ws}/webhooks`, {
      url: `${env.TEST_OUTBOUND_FIXTURE_URL}/hooks/ui`,
      events: ["row.created", "webhook.test"],
      description: "<b>mine</b>",
    });
    expect(hook.status).toBe(200);
    const whsec = textOf(hook.html, "webhook-secret");
    expect(whsec).toMatch(/^whsec_/);
    expect(hook.html).toContain("&lt;b&gt;mine&lt;/b&gt;");
    const hookId = new RegExp(`${ws}/webhooks/([a-z0-9_]+)"`).exec(hook.html)?.[1];
    const hookPage = await browser.submit(`${ws}/webhooks/${hookId}/test`, {});
    expect(hookPage.html).toContain("Test event queued.");
    expect(hookPage.html).not.toContain(whsec);
    // islet stopping an endpoint (its creator's authority ended) is said where admins look.
    expect(await ok(`${ws}/webhooks`)).not.toContain("islet disabled");
    const [row] = await controlDb(testConfig())
      .select()
      .from(workspaces)
      .where(eq(workspaces.id, workspaceId));
    await (await tenantDb(testConfig(), row as WorkspaceRow)).execute({
      sql: "UPDATE _islet_webhooks SET enabled = 0, disabled_reason = ? WHERE id = ?",
      args: ["its creator is no longer a member of the workspace", hookId ?? ""],
    });
    const stopped = await ok(`${ws}/webhooks`);
    expect(stopped).toContain("islet disabled an endpoint");
    expect(stopped).toContain("its creator is no longer a member of the workspace");

    for (const path of [
      "/usage",
      "/settings",
      "/audit",
      "/keys",
      "/functions",
      "/issuers",
      "/webhooks",
      "/secrets",
    ]) {
      await ok(`${ws}${path}`);
    }
    expect(await ok("/app/account")).toContain("this session");
    const demo = await browser.submit("/app/demo", {});
    expect(demo.html).toContain("Demo tables created.");
    expect(demo.html).toContain("products");
    const renamed = await browser.submit(`${ws}/settings/rename`, { name: "Renamed" });
    expect(renamed.html).toContain("Workspace renamed.");
    const wrongSlug = await browser.submit(`${ws}/settings/delete`, { confirm: "not-the-slug" });
    expect(wrongSlug.status).toBe(400);
  });
});

describe("form fields typed as text", () => {
  it("reach the verbs as the API takes them: a key's caps, tables and expiry; an issuer's tables and role claim; a function's timeout", async () => {
    const { browser, workspaceId } = await signedUpBrowser();
    const ws = `/app/w/${workspaceId}`;
    const before = Date.now();
    const created = await browser.submit(`${ws}/keys`, {
      name: "typed",
      scopes: ["data:read", "keys:manage"],
      tables: " orders , notes ",
      perMinute: " 60 ",
      monthlyCap: "1000",
      expiresInDays: "1.5",
    });
    expect(created.status).toBe(200);
    const listed = await exportsFetch(
      `/v1/workspaces/${workspaceId}/keys`,
      textOf(created.html, "new-key-token") ?? "",
    );
    const [key] = ((await listed.json()) as { keys: Record<string, unknown>[] }).keys;
    expect(key).toMatchObject({
      name: "typed",
      tables: ["orders", "notes"],
      perMinute: 60,
      monthlyCap: 1000,
    });
    expect(Number(key?.expiresAt) - before).toBeGreaterThanOrEqual(1.5 * 86_400_000);
    expect(Number(key?.expiresAt) - Date.now()).toBeLessThanOrEqual(1.5 * 86_400_000);
    // Text that is not a number reaches the verb's schema as text, and is refused there.
    const badCap = await browser.submit(`${ws}/keys`, {
      name: "bad",
      scopes: "data:read",
      perMinute: "lots",
    });
    expect(badCap.status).toBe(400);
    expect(badCap.html).toContain("Invalid input: perMinute: ");

    const issuer = await browser.submit(`${ws}/issuers`, {
      name: "app",
      kind: "hs256",
      issuer: "https://app.example",
      audience: "islet",
      secret: "s".repeat(40),
      defaultRole: "member",
      roleClaim: " app.role ",
      tables: "orders,notes",
    });
    expect(issuer.html).toContain("Issuer registered.");
    expect(issuer.html).toContain("claim <code>app.role</code>, default member");
    expect(issuer.html).toContain("<td>orders, notes</td>");

    const fn = await browser.submit(`${ws}/functions`, {
      name: "timed",
      code: "function main() { return 1; }",
      timeoutMs: " 250 ",
    });
    expect(fn.html).toContain("Function saved.");
    expect(await browser.get(`${ws}/functions`).then((p) => p.html)).toContain("<td>250 ms</td>");
    const badTimeout = await browser.submit(`${ws}/functions/timed`, {
      code: "function main() {}",
      timeoutMs: "1e2",
    });
    expect(badTimeout.status).toBe(400);
  });
});

describe("every page action and every page", () => {
  const uiRoutes = (method: string) =>
    buildApp()
      .routes.filter((r) => r.method === method)
      .map((r) => r.path)
      .filter((p) =>
        PAGE_PATHS.some((page) => (page.endsWith("*") ? p.startsWith(page.slice(0, -1)) : p === page)),
      );

  it("refuses every state-changing page action from another site, or without the token", async () => {
    const { browser, workspaceId } = await signedUpBrowser();
    const actions = [...new Set(uiRoutes("POST"))];
    expect(actions.length).toBeGreaterThan(30);
    for (const pattern of actions) {
      const path = pattern
        .replace(":workspaceId", workspaceId)
        .replace(/:id\{[^}]+\}/, "1")
        .replace(/:[A-Za-z]+/g, "x");
      const body = (csrf: string) => new URLSearchParams({ _csrf: csrf, name: "pwned" }).toString();
      const form = { "Content-Type": "application/x-www-form-urlencoded" };
      const crossSite = await browser.raw("POST", path, {
        body: body(browser.csrf),
        headers: { ...form, Origin: "https://evil.example", "Sec-Fetch-Site": "cross-site" },
      });
      expect(crossSite.status, `${pattern} from another site`).toBe(403);
      const noToken = await browser.raw("POST", path, {
        body: body(""),
        headers: { ...form, Origin: ORIGIN },
      });
      expect(noToken.status, `${pattern} without the token`).toBe(403);
    }
    // Nothing changed: the workspace keeps its name.
    expect((await browser.get("/app")).html).not.toContain("pwned");
  });

  it("refuses to be framed, on every page", async () => {
    const { browser, workspaceId } = await signedUpBrowser();
    const pages = [...new Set(uiRoutes("GET"))].filter((p) => !p.includes(":table") && !p.includes(":name"));
    expect(pages.length).toBeGreaterThan(15);
    for (const pattern of pages) {
      const path = pattern.replace(":workspaceId", workspaceId).replace(/:[A-Za-z]+(\{[^}]+\})?/g, "1");
      const res = await browser.raw("GET", path);
      expect(res.headers.get("X-Frame-Options"), path).toBe("DENY");
      expect(res.headers.get("Content-Security-Policy"), path).toContain("frame-ancestors 'none'");
    }
  });
});

describe("the account page", () => {
  it("exports the account and deletes it with the typed email and password", async () => {
    const { browser, email } = await signedUpBrowser();
    const page = await browser.get("/app/account");
    expect(page.html).toContain('href="/v1/account/export"');
    const exported = await browser.raw("GET", "/v1/account/export");
    expect(exported.status).toBe(200);
    expect(((await exported.json()) as { profile: { email: string } }).profile.email).toBe(email);

    const wrong = await browser.submit("/app/account/delete", {
      confirm: email,
      password: "not my password at all",
    });
    expect(wrong.status).toBe(400);
    expect(wrong.html).toContain("The password is incorrect");
    const deleted = await browser.submit("/app/account/delete", {
      confirm: email,
      password: "correct horse battery staple 42",
    });
    expect(deleted.status).toBe(200);
    expect(deleted.html).toContain("Your account is deleted");
    expect(textOf(deleted.html, "certificate")?.trim()).toMatch(/^ey[\w-]+\.[\w-]+\.[\w-]+$/);
    const after = await browser.raw("GET", "/app");
    expect(after.status).toBe(303);
  });
});
