import { describe, expect, it } from "vitest";
import { edgeApp, send } from "../../test/edge";
import { secureHeaders } from "./secure-headers";

function app() {
  const app = edgeApp();
  app.use("*", secureHeaders);
  app.get("/v1/things", (c) => c.json({ ok: true }));
  app.get("/app", (c) => c.html(`<script nonce="${c.var.secureHeadersNonce}"></script>`));
  return app;
}

const csp = (res: Response) => res.headers.get("Content-Security-Policy") ?? "";

describe("secureHeaders (architecture §13)", () => {
  it("gives API answers a policy under which nothing loads or runs", async () => {
    const res = await send(app(), "/v1/things");
    expect(csp(res)).toContain("default-src 'none'");
    expect(csp(res)).toContain("frame-ancestors 'none'");
    expect(csp(res)).not.toContain("script-src");
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(res.headers.get("X-Frame-Options")).toBe("DENY");
    expect(res.headers.get("Referrer-Policy")).toBe("no-referrer");
    expect(res.headers.get("Cross-Origin-Opener-Policy")).toBe("same-origin");
    expect(res.headers.get("Permissions-Policy")).toContain("camera=()");
  });

  it("lets a page run only the scripts carrying this response's nonce", async () => {
    const first = await send(app(), "/app");
    const second = await send(app(), "/app");
    const nonce = /nonce="([^"]+)"/.exec(await first.text())?.[1];
    expect(nonce).toBeTruthy();
    // Compared as text: a base64 nonce may hold `+` and `/`, which a RegExp would read as syntax.
    expect(csp(first)).toContain(`script-src 'self' 'nonce-${nonce}' 'strict-dynamic'`);
    expect(csp(second)).not.toContain(`'nonce-${nonce}'`);
    expect(first.headers.get("X-Content-Type-Options")).toBe("nosniff");
  });

  it("sends HSTS with preload only where the deployment is HTTPS", async () => {
    expect((await send(app(), "/v1/things")).headers.get("Strict-Transport-Security")).toBeNull();
    const https = await send(app(), "/v1/things", {}, { PUBLIC_URL: "https://api.islet.example" });
    expect(https.headers.get("Strict-Transport-Security")).toBe(
      "max-age=63072000; includeSubDomains; preload",
    );
  });
});
