import { describe, expect, it } from "vitest";
import { edgeApp, envelope, send } from "../../test/edge";
import { makeUser, makeWorkspace } from "../../test/helpers";
import { expiredAccessToken, forgedAccessToken, mintKey } from "../../test/workspaces/fixtures";
import { ACCESS_COOKIE } from "../http/cookies";
import { authenticate } from "./authenticate";

function app() {
  const app = edgeApp();
  app.use("*", authenticate);
  app.get("/v1/whoami", (c) => c.json({ actor: c.var.actor, via: c.var.authVia ?? null }));
  return app;
}

const whoami = async (headers: Record<string, string> = {}) => {
  const res = await send(app(), "/v1/whoami", { headers });
  expect(res.status).toBe(200);
  return (await res.json()) as { actor: Record<string, unknown>; via: string | null };
};

async function refused(headers: Record<string, string>, code: string) {
  const res = await send(app(), "/v1/whoami", { headers });
  expect(res.status).toBe(401);
  expect((await envelope(res)).code).toBe(code);
}

describe("authenticate", () => {
  it("leaves a request without a credential anonymous", async () => {
    expect(await whoami()).toEqual({ actor: { type: "anonymous" }, via: null });
  });

  it("names the user of an access token, whether a bearer header or the browser's cookie", async () => {
    const user = await makeUser();
    const bearer = await whoami({ Authorization: `Bearer ${user.token}` });
    expect(bearer).toMatchObject({
      actor: { type: "user", userId: user.id, sessionId: user.sessionId },
      via: "bearer",
    });
    const cookie = await whoami({ Cookie: `${ACCESS_COOKIE}=${user.token}` });
    expect(cookie).toMatchObject({ actor: { type: "user", userId: user.id }, via: "cookie" });
  });

  it("names an API key, bound to its workspace with its scopes", async () => {
    const owner = await makeUser();
    const workspace = await makeWorkspace(owner);
    const key = await mintKey(owner.token, workspace.id, { scopes: ["data:read"] });
    expect(await whoami({ Authorization: `Bearer ${key.token}` })).toMatchObject({
      actor: { type: "apiKey", keyId: key.id, workspaceId: workspace.id, scopes: ["data:read"] },
      via: "bearer",
    });
  });

  it("answers a presented credential that fails with 401, never a downgrade to anonymous", async () => {
    const user = await makeUser();
    await refused({ Authorization: `Bearer ${await forgedAccessToken(user)}` }, "invalid_token");
    await refused({ Authorization: `Bearer ${await expiredAccessToken(user)}` }, "token_expired");
    await refused({ Cookie: `${ACCESS_COOKIE}=not-a-token` }, "invalid_token");
    await refused(
      { Authorization: "Bearer isk_0000000000000000000000zz_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
      "invalid_token",
    );
    await refused({ Authorization: `Basic ${btoa("user:password")}` }, "unauthorized");
  });
});
