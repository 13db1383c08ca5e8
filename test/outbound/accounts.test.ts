// API accounts: the credential is injected server-side, can be neither set nor read by callers,
// the path never leaves the base URL, and answers are capped and scrubbed.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, errorCode, json } from "../helpers";
import { auditActions, makeTeam, mintKey, type Team } from "../workspaces/fixtures";

const SECRET = "sk-upstream-0123456789abcdef";
const baseUrl = `${env.TEST_OUTBOUND_FIXTURE_URL}/api`;

async function withAccount(): Promise<Team & { base: string }> {
  const team = await makeTeam();
  const base = `/v1/workspaces/${team.workspace.id}/accounts`;
  const res = await call("PUT", `${base}/upstream`, {
    token: team.admin.token,
    body: { baseUrl, authHeaderName: "X-Api-Key", authHeaderValue: SECRET },
  });
  expect(res.status).toBe(200);
  const text = await res.text();
  expect(text).not.toContain(SECRET);
  expect(JSON.parse(text)).toMatchObject({
    account: { name: "upstream", last4: "cdef", authHeaderName: "X-Api-Key" },
  });
  return { ...team, base };
}

const proxied = (team: Team & { base: string }, body: Record<string, unknown>, token = team.member.token) =>
  call("POST", `${team.base}/upstream/fetch`, { token, body });

describe("API accounts", () => {
  it("injects the credential server-side and never shows it", async () => {
    const team = await withAccount();
    const res = await proxied(team, {
      method: "POST",
      path: "/things/1",
      query: { q: "x y" },
      body: { a: 1 },
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(SECRET);
    const answer = JSON.parse(text) as { status: number; encoding: string; body: string };
    expect(answer).toMatchObject({ status: 200, encoding: "utf8" });
    const echoed = JSON.parse(answer.body) as {
      method: string;
      url: string;
      headers: Record<string, string>;
      body: string;
    };
    expect(echoed.method).toBe("POST");
    expect(echoed.url).toBe("/api/things/1?q=x+y");
    // The upstream got the header (its echo of it is scrubbed on the way back).
    expect(echoed.headers["x-api-key"]).toBe("[redacted]");
    expect(JSON.parse(echoed.body)).toEqual({ a: 1 });
    const list = await call("GET", team.base, { token: team.member.token });
    expect(await list.text()).not.toContain(SECRET);
    const actions = (await auditActions(team.workspace)).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(["account.put", "account.fetch"]));
  });

  it("scrubs an upstream that echoes the credential, and drops its cookies", async () => {
    const team = await withAccount();
    const answer = await json<{ body: string; headers: Record<string, string> }>(
      await proxied(team, { method: "GET", path: "/leak" }),
    );
    expect(answer.body).toBe("your key is [redacted]");
    expect(answer.headers["x-echo"]).toBe("[redacted]");
    expect(answer.headers).not.toHaveProperty("set-cookie");
  });

  it.each([
    ["X-Api-Key", "mine"],
    ["x-api-key", "mine"],
    ["Host", "evil.example"],
    ["Transfer-Encoding", "chunked"],
    ["Connection", "close"],
    ["Authorization", "Bearer x"],
    ["CF-Connecting-IP", "1.2.3.4"],
  ])("refuses a caller's %s header", async (name, value) => {
    const team = await withAccount();
    const res = await proxied(team, { method: "GET", path: "/x", headers: { [name]: value } });
    expect([res.status, await errorCode(res)]).toEqual([400, "invalid_request"]);
  });

  it.each([
    "https://evil.example/",
    "//evil.example/x",
    "/../admin",
    "/a/../../admin",
    "/%2e%2e/admin",
    "/%2E%2e%2fadmin",
    "/a%2fb",
    "/a\\b",
    "/a?b=c",
    "/a#frag",
    "/./x",
    "relative",
    "/a b",
    "/a%00b",
  ])("keeps the host: refuses the path %s", async (path) => {
    const team = await withAccount();
    const res = await proxied(team, { method: "GET", path });
    expect([res.status, await errorCode(res)]).toEqual([400, "invalid_request"]);
  });

  it("caps the answer at 1 MiB", async () => {
    const team = await withAccount();
    const res = await proxied(team, { method: "GET", path: "/big" });
    expect([res.status, await errorCode(res)]).toEqual([400, "outbound_refused"]);
  });

  it("refuses a base URL the outbound guard refuses, and callers without the role or scope", async () => {
    const team = await makeTeam();
    const put = (token: string, url: string) =>
      call("PUT", `/v1/workspaces/${team.workspace.id}/accounts/a`, {
        token,
        body: { baseUrl: url, authHeaderName: "X-Api-Key", authHeaderValue: "v" },
      });
    expect(await errorCode(await put(team.admin.token, "https://private.example.test/"))).toBe(
      "outbound_refused",
    );
    expect(await errorCode(await put(team.admin.token, "http://idp.example.com/"))).toBe("outbound_refused");
    expect(await errorCode(await put(team.member.token, baseUrl))).toBe("forbidden");
    const withTeam = await withAccount();
    expect(
      await errorCode(await proxied(withTeam, { method: "GET", path: "/x" }, withTeam.viewer.token)),
    ).toBe("forbidden");
    const readOnly = await mintKey(withTeam.owner.token, withTeam.workspace.id, { scopes: ["data:read"] });
    expect(await errorCode(await proxied(withTeam, { method: "GET", path: "/x" }, readOnly.token))).toBe(
      "insufficient_scope",
    );
  });
});
