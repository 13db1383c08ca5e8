import { describe, expect, it } from "vitest";
import { edgeApp, envelope, send } from "../../test/edge";
import { ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE } from "../http/cookies";
import { csrf } from "./csrf";

function app() {
  const app = edgeApp();
  app.use("*", csrf);
  app.on(["GET", "POST"], "/v1/things", (c) => c.json({ ok: true }));
  return app;
}

const OWN_ORIGIN = "http://127.0.0.1:8787";
const session = `${ACCESS_COOKIE}=a.b.c; ${CSRF_COOKIE}=csrf-token-1`;
const post = (headers: Record<string, string>) => send(app(), "/v1/things", { method: "POST", headers });

async function refused(res: Response) {
  expect(res.status).toBe(403);
  expect((await envelope(res)).code).toBe("csrf_failed");
}

describe("csrf", () => {
  it("refuses a cookie-authenticated state change without proof of origin", async () => {
    await refused(await post({ Cookie: session }));
    await refused(await post({ Cookie: session, "X-CSRF-Token": "csrf-token-2" }));
    // Refresh and logout act on the refresh cookie alone.
    await refused(await post({ Cookie: `${REFRESH_COOKIE}=r` }));
  });

  it("admits the double-submitted token", async () => {
    expect((await post({ Cookie: session, "X-CSRF-Token": "csrf-token-1" })).status).toBe(200);
  });

  it("admits a header token from islet's own or a listed Origin, and no other", async () => {
    const cookie = `${ACCESS_COOKIE}=a.b.c`;
    expect((await post({ Cookie: cookie, Origin: OWN_ORIGIN, "X-CSRF-Token": "x" })).status).toBe(200);
    expect(
      (await post({ Cookie: cookie, Origin: "http://localhost:8787", "X-CSRF-Token": "x" })).status,
    ).toBe(200);
    await refused(await post({ Cookie: cookie, Origin: OWN_ORIGIN }));
    await refused(await post({ Cookie: cookie, Origin: "https://attacker.example", "X-CSRF-Token": "x" }));
    await refused(await post({ Cookie: cookie, Origin: "null", "X-CSRF-Token": "x" }));
  });

  it("leaves reads, bearer tokens and cookie-less requests alone", async () => {
    expect((await send(app(), "/v1/things", { headers: { Cookie: session } })).status).toBe(200);
    expect((await post({ Cookie: session, Authorization: "Bearer t" })).status).toBe(200);
    expect((await post({})).status).toBe(200);
  });
});
