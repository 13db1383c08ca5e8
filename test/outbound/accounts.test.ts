// API accounts: the credential is injected server-side, can be neither set nor read by callers,
// the path never leaves the base URL, and answers are capped and scrubbed.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { setLogSink } from "../../src/lib/logger";
import { call, errorCode, json } from "../helpers";
import { auditActions, makeTeam, mintKey, type Team } from "../workspaces/fixtures";
import { receivedBy, receiver } from "./hooks";

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
    // Only headers that describe the answer come back: not an echo, not a cookie.
    expect(answer.headers).not.toHaveProperty("x-echo");
    expect(answer.headers).not.toHaveProperty("set-cookie");
    expect(answer.headers["content-type"]).toBe("text/plain");
  });

  it("scrubs transformed echoes: the credential upper-cased, or as UTF-16 in a UTF-8 body", async () => {
    const team = await withAccount();
    const res = await proxied(team, { method: "GET", path: "/leak-transformed" });
    const text = await res.text();
    const answer = JSON.parse(text) as { body: string; headers: Record<string, string> };
    expect(answer.headers).not.toHaveProperty("x-debug-auth");
    expect(answer.headers["x-request-id"]).toBe("r-[redacted]");
    expect(answer.body).toMatch(/^upper \[redacted\] utf16 \[redacted\]/);
    for (const form of [SECRET, SECRET.toUpperCase(), [...SECRET].join("\u0000")]) {
      expect(text.toLowerCase()).not.toContain(JSON.stringify(form).slice(1, -1).toLowerCase());
      expect(answer.body.toLowerCase()).not.toContain(form.toLowerCase());
    }
  });

  it("refuses an echo hidden behind a charset label that does not match its bytes", async () => {
    const team = await withAccount();
    const res = await proxied(team, { method: "GET", path: "/mislabelled" });
    expect([res.status, await errorCode(res)]).toEqual([502, "upstream_error"]);
  });

  it("takes a long non-ASCII credential: scrubbed, never a 500, never in a log", async () => {
    const team = await makeTeam();
    const value = "é".repeat(6000);
    const put = await call("PUT", `/v1/workspaces/${team.workspace.id}/accounts/latin`, {
      token: team.admin.token,
      body: { baseUrl, authHeaderName: "X-Api-Key", authHeaderValue: value },
    });
    expect(put.status).toBe(200);
    const lines: string[] = [];
    const previous = setLogSink((line) => lines.push(line));
    try {
      const res = await call("POST", `/v1/workspaces/${team.workspace.id}/accounts/latin/fetch`, {
        token: team.member.token,
        body: { method: "GET", path: "/leak" },
      });
      expect(res.status).toBe(200);
      expect(await res.text()).not.toContain(value);
    } finally {
      setLogSink(previous);
    }
    expect(lines.join("\n")).not.toContain("é".repeat(100));
  });

  it("never sends its credential to another origin: a cross-origin redirect is answered, not followed", async () => {
    const team = await withAccount();
    const { name, url } = await receiver();
    // Another origin of the same loopback server: only the host differs.
    const elsewhere = url.replace("127.0.0.1", "localhost");
    expect(elsewhere).not.toBe(url);
    for (const status of [301, 302, 303, 307, 308]) {
      const answer = await json<{ status: number; headers: Record<string, string> }>(
        await proxied(team, {
          method: "POST",
          path: "/redirect",
          query: { to: elsewhere, status: String(status) },
          body: { a: 1 },
        }),
      );
      expect([status, answer.status, answer.headers.location]).toEqual([status, status, elsewhere]);
    }
    expect(await receivedBy(name)).toEqual([]);
    // Within its own origin a redirect is followed, credential and all.
    const same = await json<{ status: number; body: string }>(
      await proxied(team, { method: "GET", path: "/redirect", query: { to: `${baseUrl}/after` } }),
    );
    expect(same.status).toBe(200);
    expect(JSON.parse(same.body)).toMatchObject({
      url: "/api/after",
      headers: { "x-api-key": "[redacted]" },
    });
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

  it("gives up on an upstream that stalls past 10 s", { timeout: 30_000 }, async () => {
    const team = await withAccount();
    const res = await proxied(team, { method: "GET", path: "/slow" });
    expect([res.status, await errorCode(res)]).toEqual([502, "upstream_error"]);
    const log = await json<{ events: { action: string; details: unknown }[] }>(
      await call("GET", `/v1/workspaces/${team.workspace.id}/audit`, { token: team.owner.token }),
    );
    const fetched = log.events.find((e) => e.action === "account.fetch");
    expect(fetched?.details).toMatchObject({ path: "/slow", status: 0 });
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

describe("API accounts from functions", () => {
  const invoke = (
    team: Team & { base: string },
    name: string,
    args: unknown = null,
    token = team.member.token,
  ) =>
    call("POST", `/v1/workspaces/${team.workspace.id}/functions/${name}/invoke`, { token, body: { args } });
  const define = async (team: Team & { base: string }, name: string, code: string) => {
    const res = await call("POST", `/v1/workspaces/${team.workspace.id}/functions`, {
      token: team.member.token,
      body: { name, code },
    });
    expect(res.status).toBe(201);
  };

  it("calls an account by name; the code never sees the credential", async () => {
    const team = await withAccount();
    await define(
      team,
      "charge",
      `async function main(args) {
        const res = await islet.accounts.fetch("upstream", { method: "POST", path: "/charges", body: { amount: args.amount } });
        const seen = JSON.parse(res.body);
        console.log("upstream said", res.status);
        return { status: res.status, url: seen.url, key: seen.headers["x-api-key"], body: JSON.parse(seen.body) };
      }`,
    );
    const res = await invoke(team, "charge", { amount: 42 });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).not.toContain(SECRET);
    expect(JSON.parse(text)).toMatchObject({
      result: { status: 200, url: "/api/charges", key: "[redacted]", body: { amount: 42 } },
      logs: ["upstream said 200"],
    });
    const actions = (await auditActions(team.workspace)).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(["account.fetch", "function.invoke"]));
  });

  it("gets the REST errors as codes: unknown account, header override, host change, other workspace", async () => {
    const team = await withAccount();
    const other = await withAccount();
    await define(
      team,
      "probe",
      `async function main(args) {
        try { await islet.accounts.fetch(args.account, args.request); return "called"; }
        catch (e) { return e.code; }
      }`,
    );
    const cases: [unknown, string][] = [
      [{ account: "missing", request: { method: "GET", path: "/x" } }, "not_found"],
      [{ account: "UPPER", request: { method: "GET", path: "/x" } }, "invalid_request"],
      [
        { account: "upstream", request: { method: "GET", path: "/x", headers: { "X-Api-Key": "mine" } } },
        "invalid_request",
      ],
      [{ account: "upstream", request: { method: "GET", path: "//evil.example/x" } }, "invalid_request"],
      [{ account: "upstream", request: { method: "GET", path: "/x", extra: 1 } }, "invalid_request"],
      [{ account: "upstream", request: { method: "TRACE", path: "/x" } }, "invalid_request"],
      // Another workspace cannot be named: the workspace is the function's own.
      [
        { account: "upstream", request: { method: "GET", path: "/x", workspaceId: other.workspace.id } },
        "invalid_request",
      ],
      [{ account: "upstream", request: { method: "GET", path: "/x" } }, "called"],
    ];
    for (const [args, expected] of cases) {
      const res = await invoke(team, "probe", args);
      expect(await json(res), JSON.stringify(args)).toMatchObject({ result: expected });
    }
    const inOther = (await auditActions(other.workspace)).filter((a) => a.action === "account.fetch");
    expect(inOther).toHaveLength(0);
  });

  it("needs what the REST call needs: a key without functions:run cannot reach an account", async () => {
    const team = await withAccount();
    await define(team, "plain", `async function main() { return 1; }`);
    const readOnly = await mintKey(team.owner.token, team.workspace.id, { scopes: ["data:read"] });
    expect(await errorCode(await invoke(team, "plain", null, readOnly.token))).toBe("insufficient_scope");
  });
});
