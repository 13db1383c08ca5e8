// A minimal browser for dashboard tests inside workerd: a cookie jar (the `__Host-` cookies are
// kept as a browser on https would keep them), form posts with the page's CSRF field, and
// redirects followed by hand so each hop can be checked. The Chromium suite
// (scripts/dashboard-browser.test.ts) is the real browser; this one is for fast, exact checks.
import { exports } from "cloudflare:workers";
import { expect } from "vitest";

export const ORIGIN = "http://127.0.0.1:8787";

export class Browser {
  readonly cookies = new Map<string, string>();
  /** Every response's final HTML, for scans. */
  readonly pages: { path: string; status: number; html: string }[] = [];
  ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;

  private remember(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || value === "") this.cookies.delete(name);
      // As browsers do (RFC 6265 §6.1 asks for at least 4096 bytes, and they keep no more): a
      // larger cookie is dropped without a word.
      else if (name.length + value.length > 4096) continue;
      else this.cookies.set(name, value);
    }
  }

  async raw(method: string, path: string, init: { body?: BodyInit; headers?: Record<string, string> } = {}) {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0) {
      headers.set("Cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    }
    headers.set("CF-Connecting-IP", this.ip);
    const res = await exports.default.fetch(
      new Request(`${ORIGIN}${path}`, { method, headers, body: init.body, redirect: "manual" }),
    );
    this.remember(res);
    return res;
  }

  /** GET, following redirects; returns the final page. */
  async get(path: string): Promise<{ status: number; html: string; path: string; res: Response }> {
    let target = path;
    for (let hop = 0; hop < 5; hop++) {
      const res = await this.raw("GET", target);
      const location = res.headers.get("Location");
      if (res.status >= 300 && res.status < 400 && location) {
        target = new URL(location, ORIGIN).pathname + new URL(location, ORIGIN).search;
        continue;
      }
      const html = await res.text();
      this.pages.push({ path: target, status: res.status, html });
      return { status: res.status, html, path: target, res };
    }
    throw new Error(`too many redirects from ${path}`);
  }

  get csrf(): string {
    const token = this.cookies.get("__Host-islet_csrf");
    if (!token) throw new Error("no CSRF cookie yet: open a page first");
    return token;
  }

  /** Posts a form as the page would (its CSRF field, same-origin headers) and follows the answer. */
  async submit(
    path: string,
    fields: Record<string, string | string[]>,
    headers: Record<string, string> = {},
  ) {
    const body = new URLSearchParams();
    body.set("_csrf", this.csrf);
    for (const [name, value] of Object.entries(fields)) {
      for (const v of Array.isArray(value) ? value : [value]) body.append(name, v);
    }
    const res = await this.raw("POST", path, {
      body: body.toString(),
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Origin: ORIGIN,
        "Sec-Fetch-Site": "same-origin",
        ...headers,
      },
    });
    const location = res.headers.get("Location");
    if (res.status === 303 && location)
      return this.get(new URL(location, ORIGIN).pathname + new URL(location, ORIGIN).search);
    const html = await res.text();
    this.pages.push({ path, status: res.status, html });
    return { status: res.status, html, path, res };
  }
}

let counter = 0;
/** A signed-up, signed-in browser (its personal workspace included). */
export async function signedUpBrowser(
  name = "Ada",
  opts: { verify?: boolean } = {},
): Promise<{ browser: Browser; email: string; workspaceId: string }> {
  const browser = new Browser();
  await browser.get("/signup");
  const email = `ui-${Date.now()}-${counter++}@example.com`;
  const page = await browser.submit("/signup", {
    name,
    email,
    password: "correct horse battery staple 42",
    region: "eu-west",
  });
  expect(page.path).toBe("/app");
  expect(page.status).toBe(200);
  const workspaceId = /href="\/app\/w\/(ws_[0-9a-z]+)"/.exec(page.html)?.[1];
  if (!workspaceId) throw new Error("no workspace link on /app");
  if (opts.verify !== false) await verifyByMail(browser, email);
  return { browser, email, workspaceId };
}

/** Opens the verification mail in the dev outbox (as a local developer would) and follows it. */
export async function verifyByMail(browser: Browser, email: string): Promise<void> {
  const ip = browser.ip;
  browser.ip = "127.0.0.1";
  const outbox = await browser.get(`/dev/outbox?to=${encodeURIComponent(email)}`);
  browser.ip = ip;
  const link = /href="(http:\/\/127\.0\.0\.1:8787\/verify-email\?token=[^"]+)"/.exec(outbox.html)?.[1];
  if (!link) throw new Error(`no verification link in the outbox: ${outbox.status}`);
  const page = await browser.get(
    new URL(link.replace(/&amp;/g, "&")).pathname + new URL(link.replace(/&amp;/g, "&")).search,
  );
  const token = /name="token" value="([^"]+)"/.exec(page.html)?.[1] ?? "";
  const verified = await browser.submit("/verify-email", { token });
  expect(verified.html).toContain("Your email address is verified.");
}

/** The text of an element with an id, as in the page (entities decoded for &amp; &lt; &gt; &quot;). */
export function textOf(html: string, id: string): string | undefined {
  const match = new RegExp(`id="${id}"[^>]*>([^<]*)<`).exec(html);
  return match?.[1]
    ?.replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
}
