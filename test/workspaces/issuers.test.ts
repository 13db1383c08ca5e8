import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/control/client";
import { issuers } from "../../src/db/control/schema";
import { call, errorCode, json, makeUser, makeWorkspace, testConfig } from "../helpers";
import { auditActions, endUserToken, makeTeam, type Team } from "./fixtures";

const SECRET = "an-hs256-secret-of-at-least-32-characters!";
const hs256 = {
  name: "App auth",
  kind: "hs256",
  secret: SECRET,
  issuer: "https://auth.myapp.test",
  audience: "myapp",
};

async function register(team: Team, body: Record<string, unknown> = hs256) {
  const res = await call("POST", `/v1/workspaces/${team.workspace.id}/issuers`, {
    token: team.admin.token,
    body,
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await json<{ issuer: { id: string } }>(res)).issuer;
}

const token = (claims: Record<string, unknown> = {}, extra: { expiresAt?: number; audience?: string } = {}) =>
  endUserToken({
    secret: SECRET,
    issuer: hs256.issuer,
    audience: extra.audience ?? hs256.audience,
    claims,
    ...extra,
  });

describe("workspace-registered HS256 issuers", () => {
  it("stores the secret encrypted, never returns it, and audits create and delete", async () => {
    const team = await makeTeam();
    const created = await call("POST", `/v1/workspaces/${team.workspace.id}/issuers`, {
      token: team.admin.token,
      body: hs256,
    });
    const text = await created.text();
    expect(created.status).toBe(201);
    expect(text).not.toContain(SECRET);
    const { issuer } = JSON.parse(text) as { issuer: { id: string; hasSecret: boolean } };
    expect(issuer.hasSecret).toBe(true);
    const [row] = await controlDb(testConfig()).select().from(issuers).where(eq(issuers.id, issuer.id));
    expect(row?.secretEnc).toMatch(/^v\d+\./);
    expect(row?.secretEnc).not.toContain(SECRET);
    const list = await call("GET", `/v1/workspaces/${team.workspace.id}/issuers`, {
      token: team.admin.token,
    });
    expect(await list.text()).not.toContain(SECRET);
    const removed = await call("DELETE", `/v1/workspaces/${team.workspace.id}/issuers/${issuer.id}`, {
      token: team.admin.token,
    });
    expect(removed.status).toBe(204);
    const actions = (await auditActions(team.workspace)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["issuer.create", "issuer.delete"]));
  });

  it("lets its tokens act as a member of that workspace only, never managing anything", async () => {
    const team = await makeTeam();
    await register(team);
    const endUser = await token({ role: "member" });
    const path = `/v1/workspaces/${team.workspace.id}`;
    expect((await call("GET", path, { token: endUser })).status).toBe(200);
    for (const [method, sub, body] of [
      ["GET", "/keys", undefined],
      ["POST", "/keys", { name: "x", scopes: ["data:read"] }],
      ["GET", "/members", undefined],
      ["PATCH", "", { name: "pwned" }],
      ["POST", "/issuers", hs256],
    ] as const) {
      const res = await call(method, `${path}${sub}`, { token: endUser, body });
      expect([res.status, await errorCode(res)], `${method} ${sub}`).toEqual([403, "forbidden"]);
    }
    // The same token addressed to a workspace that never registered the issuer is not a credential.
    const elsewhere = await makeWorkspace(await makeUser());
    const other = await call("GET", `/v1/workspaces/${elsewhere.id}`, { token: endUser });
    expect([other.status, await errorCode(other)]).toEqual([401, "invalid_token"]);
    const noWorkspace = await call("GET", "/v1/workspaces", { token: endUser });
    expect([noWorkspace.status, await errorCode(noWorkspace)]).toEqual([401, "invalid_token"]);
  });

  it("caps a claimed admin or owner role at the issuer's default", async () => {
    const team = await makeTeam();
    await register(team, { ...hs256, defaultRole: "viewer" });
    const res = await call("GET", `/v1/workspaces/${team.workspace.id}/keys`, {
      token: await token({ role: "owner" }),
    });
    expect([res.status, await errorCode(res)]).toEqual([403, "forbidden"]);
  });

  it.each([
    ["an expired token", () => token({}, { expiresAt: Math.floor(Date.now() / 1000) - 60 }), "token_expired"],
    ["the wrong audience", () => token({}, { audience: "someone-else" }), "invalid_token"],
    [
      "the wrong secret",
      () => endUserToken({ secret: "x".repeat(40), issuer: hs256.issuer, audience: hs256.audience }),
      "invalid_token",
    ],
  ])("refuses %s", async (_what, make, code) => {
    const team = await makeTeam();
    await register(team);
    const res = await call("GET", `/v1/workspaces/${team.workspace.id}`, { token: await make() });
    expect([res.status, await errorCode(res)]).toEqual([401, code]);
  });

  it("refuses tokens from the next request after the issuer is deleted", async () => {
    const team = await makeTeam();
    const issuer = await register(team);
    const endUser = await token();
    const path = `/v1/workspaces/${team.workspace.id}`;
    expect((await call("GET", path, { token: endUser })).status).toBe(200);
    await call("DELETE", `${path}/issuers/${issuer.id}`, { token: team.owner.token });
    const res = await call("GET", path, { token: endUser });
    expect([res.status, await errorCode(res)]).toEqual([401, "invalid_token"]);
  });

  it.each([
    ["a short secret", { ...hs256, secret: "short" }, "invalid_request"],
    ["a secret and a JWKS URL", { ...hs256, jwksUrl: "https://idp.example.test/jwks" }, "invalid_request"],
    ["islet's own issuer", { ...hs256, issuer: "http://127.0.0.1:8787" }, "invalid_request"],
    [
      "a non-https JWKS URL",
      { name: "x", kind: "jwks", jwksUrl: "http://idp.example.test/jwks", issuer: "i", audience: "a" },
      "outbound_refused",
    ],
    [
      "credentials in the JWKS URL",
      { name: "x", kind: "jwks", jwksUrl: "https://u:p@idp.example.test/", issuer: "i", audience: "a" },
      "outbound_refused",
    ],
  ])("refuses to register %s", async (_what, body, code) => {
    const team = await makeTeam();
    const res = await call("POST", `/v1/workspaces/${team.workspace.id}/issuers`, {
      token: team.admin.token,
      body,
    });
    expect([res.status, await errorCode(res)]).toEqual([400, code]);
  });
});

describe("workspace-registered JWKS issuers", () => {
  const fixture = env.TEST_JWKS_FIXTURE_URL as string;
  const sign = async (claims: Record<string, unknown>, expiresIn = "5m") => {
    const res = await fetch(`${fixture}/__fixture/sign`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ claims, expiresIn }),
    });
    return (await res.json<{ token: string }>()).token;
  };

  it("verifies tokens against the issuer's published keys (local JWKS server)", async () => {
    const team = await makeTeam();
    await register(team, {
      name: "IdP",
      kind: "jwks",
      jwksUrl: `${fixture}/.well-known/jwks.json`,
      issuer: "https://idp.example.test",
      audience: "myapp",
      roleClaim: "app_metadata.role",
    });
    const path = `/v1/workspaces/${team.workspace.id}`;
    const good = await sign({ sub: "user-42", aud: "myapp", app_metadata: { role: "viewer" } });
    expect((await call("GET", path, { token: good })).status).toBe(200);
    const keys = await call("GET", `${path}/keys`, { token: good });
    expect([keys.status, await errorCode(keys)]).toEqual([403, "forbidden"]);
    const wrongAudience = await sign({ sub: "user-42", aud: "other" });
    const refused = await call("GET", path, { token: wrongAudience });
    expect([refused.status, await errorCode(refused)]).toEqual([401, "invalid_token"]);
  });
});
