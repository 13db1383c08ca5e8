// Issue 16: a vault value never leaves after the write. Every response of a tour through the
// vault, functions, API accounts, webhooks, MCP and the audit log, and every line the Worker logs
// meanwhile, is scanned for the values; only the one response that shows a webhook secret at
// creation may carry it.
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { setLogSink } from "../../src/lib/logger";
import { mcpOverHttp } from "../agents/helpers";
import { call } from "../helpers";
import { makeTeam } from "../workspaces/fixtures";

const ENV_VALUE = "sk-env-7d1e0c9b5a4f3e2d";
const AI_VALUE = "sk-ai-provider-55aa44bb33cc";
const GENERIC_VALUE = "generic-secret-9f8e7d6c";
const HEADER_VALUE = "sk-upstream-header-a1b2c3d4";
const VALUES = [ENV_VALUE, AI_VALUE, GENERIC_VALUE, HEADER_VALUE];

const lines: string[] = [];
let restore: () => void = () => {};

beforeAll(() => {
  const previous = setLogSink((line) => lines.push(line));
  // Anything that bypasses the logger and prints directly is captured too.
  const spies = (["log", "info", "warn", "error", "debug"] as const).map((level) =>
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    }),
  );
  restore = () => {
    setLogSink(previous);
    for (const spy of spies) spy.mockRestore();
  };
});
afterAll(() => restore());

describe("vault values never leave after the write", () => {
  it("are absent from every response and every log line", { timeout: 60_000 }, async () => {
    const team = await makeTeam();
    const ws = `/v1/workspaces/${team.workspace.id}`;
    const responses: { what: string; text: string }[] = [];
    const send = async (method: string, path: string, body?: unknown, token = team.admin.token) => {
      const res = await call(method, `${ws}${path}`, { token, body });
      const text = await res.text();
      responses.push({ what: `${method} ${path} → ${res.status}`, text });
      return { status: res.status, text };
    };

    // The vault: each kind, a replacement, bad writes that carry a value.
    expect((await send("PUT", "/secrets/API_TOKEN", { value: ENV_VALUE })).status).toBe(200);
    expect((await send("PUT", "/secrets/OPENAI", { value: AI_VALUE, kind: "ai_provider" })).status).toBe(200);
    expect((await send("PUT", "/secrets/OTHER", { value: GENERIC_VALUE, kind: "generic" })).status).toBe(200);
    expect((await send("PUT", "/secrets/OTHER", { value: GENERIC_VALUE, kind: "generic" })).status).toBe(200);
    expect((await send("PUT", "/secrets/bad-name", { value: ENV_VALUE })).status).toBe(400);
    expect((await send("PUT", "/secrets/API_TOKEN", { value: ENV_VALUE, kind: "nope" })).status).toBe(400);
    expect((await send("PUT", "/secrets/API_TOKEN", { value: ENV_VALUE, extra: ENV_VALUE })).status).toBe(
      400,
    );
    await send("PUT", "/secrets/API_TOKEN", { value: ENV_VALUE }, team.member.token);
    await send("GET", "/secrets");
    await send("GET", "/secrets/API_TOKEN");
    await send("GET", "/secrets/OPENAI");

    // Functions that try to hand the bound value back: result, logs, error message.
    const code = `async function main(args, env) {
      console.log("token", env.API_TOKEN, [env.API_TOKEN]);
      if (args.fail) throw new Error("failed with " + env.API_TOKEN);
      return { env, reversed: env.API_TOKEN.split("").join("") };
    }`;
    expect((await send("POST", "/functions", { name: "leaky", code, env: ["API_TOKEN"] })).status).toBe(201);
    const invoked = await send("POST", "/functions/leaky/invoke", { args: {} });
    expect(invoked.status).toBe(200);
    expect(JSON.parse(invoked.text)).toMatchObject({ result: { env: { API_TOKEN: "[redacted]" } } });
    expect((await send("POST", "/functions/leaky/invoke", { args: { fail: true } })).status).toBe(422);
    await send("GET", "/functions");

    // An API account whose upstream echoes the credential, called directly and from a function.
    const baseUrl = `${env.TEST_OUTBOUND_FIXTURE_URL}/api`;
    const account = { baseUrl, authHeaderName: "X-Api-Key", authHeaderValue: HEADER_VALUE };
    expect((await send("PUT", "/accounts/upstream", account)).status).toBe(200);
    await send("PUT", "/accounts/Bad Name", account);
    await send("GET", "/accounts");
    expect((await send("POST", "/accounts/upstream/fetch", { method: "GET", path: "/leak" })).status).toBe(
      200,
    );
    await send("POST", "/accounts/upstream/fetch", { method: "GET", path: "/echo" });
    const viaFunction = `async function main() {
      const res = await islet.accounts.fetch("upstream", { method: "GET", path: "/leak" });
      console.log(res.body, JSON.stringify(res.headers));
      return res;
    }`;
    expect((await send("POST", "/functions", { name: "proxy", code: viaFunction })).status).toBe(201);
    const proxied = await send("POST", "/functions/proxy/invoke", { args: null });
    expect(JSON.parse(proxied.text)).toMatchObject({ result: { body: "your key is [redacted]" } });

    // A webhook: its secret is shown once, at creation, and nowhere after.
    const created = await call("POST", `${ws}/webhooks`, {
      token: team.admin.token,
      body: { url: `${env.TEST_OUTBOUND_FIXTURE_URL}/hooks/leaks`, events: ["webhook.test"] },
    });
    expect(created.status).toBe(201);
    const hook = (await created.json()) as { webhook: { id: string }; secret: string };
    expect(hook.secret).toMatch(/^whsec_/);
    await send("GET", "/webhooks");
    await send("GET", `/webhooks/${hook.webhook.id}`);
    await send("POST", `/webhooks/${hook.webhook.id}/test`);
    await send("GET", `/webhooks/${hook.webhook.id}/deliveries`);

    // MCP: the tools an agent would use to look.
    const client = await mcpOverHttp(team.admin.token, `?workspaceId=${team.workspace.id}`);
    for (const [name, args] of [
      ["list_secrets", {}],
      ["list_accounts", {}],
      ["invoke_function", { name: "leaky", args: {} }],
      ["call_account", { name: "upstream", method: "GET", path: "/leak" }],
    ] as const) {
      const result = await client.callTool({ name, arguments: args });
      expect(result.isError, `${name}: ${JSON.stringify(result)}`).toBeFalsy();
      responses.push({ what: `mcp ${name}`, text: JSON.stringify(result) });
    }
    await client.close();

    // The audit log and its export.
    await send("GET", "/audit", undefined, team.owner.token);
    await send("GET", "/audit/export", undefined, team.owner.token);

    const secrets = [...VALUES, hook.secret];
    for (const { what, text } of responses) {
      for (const value of secrets) expect(text.includes(value), `${what} shows ${value}`).toBe(false);
    }
    // The capture worked (the Worker logs every request), and no line carries a value.
    expect(lines.length).toBeGreaterThan(responses.length);
    for (const line of lines) {
      for (const value of secrets)
        expect(line.includes(value), `log line shows ${value}: ${line}`).toBe(false);
    }
  });
});
