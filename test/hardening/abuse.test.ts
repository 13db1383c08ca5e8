// Issue 13 items 6, 7 and 10, and the smaller abuse boundaries: floods of bad credentials do not
// grow the control database, IPv6 callers are limited per /64, a deployment without ENVIRONMENT
// refuses to serve, the dev outbox is for loopback callers only, token answers are not cached,
// and a 429 names the rule that refused it.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import { parseConfig } from "../../src/config";
import { controlDb } from "../../src/db/control/client";
import { AUTH_FAILURES_PER_MINUTE } from "../../src/middleware/auth-failure";
import { readOutbox } from "../../src/services/mail";
import { loopbackIp, signupUser, uniqueEmail } from "../auth/helpers";
import { call, errorCode, json, testConfig, testContext } from "../helpers";
import { auditActions, makeTeam, mintKey } from "../workspaces/fixtures";

const rand16 = () => Math.floor(Math.random() * 0xffff).toString(16);
/** A fresh /64; `host` picks an address inside it. */
const subnet = () => {
  const prefix = `2001:db8:${rand16()}:${rand16()}`;
  return (host: string) => `${prefix}::${host}`;
};

async function failedAuthRows(ipPrefix: string): Promise<number> {
  const rows = await controlDb(testConfig()).$client.execute({
    sql: "SELECT count(*) AS n FROM security_log WHERE action = 'auth.failed' AND ip LIKE ?",
    args: [`${ipPrefix}%`],
  });
  return Number(rows.rows[0]?.n);
}

const badKey = () => `isk_${"a".repeat(26)}_${"b".repeat(43)}`;

describe("floods of bad credentials", () => {
  it("are refused before any database work once limited, and log only the first refusal", async () => {
    const host = subnet();
    const prefix = host("").slice(0, -2);
    const statuses: number[] = [];
    for (let i = 0; i < AUTH_FAILURES_PER_MINUTE + 15; i++) {
      const res = await call("GET", "/v1/workspaces", {
        token: badKey(),
        headers: { "CF-Connecting-IP": host(rand16()) },
      });
      statuses.push(res.status);
      await res.body?.cancel();
    }
    expect(statuses.slice(0, AUTH_FAILURES_PER_MINUTE).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(AUTH_FAILURES_PER_MINUTE).every((s) => s === 429)).toBe(true);
    // The writes are background work; wait for the ones that should exist, then check no more came.
    for (let i = 0; i < 50 && (await failedAuthRows(prefix)) < AUTH_FAILURES_PER_MINUTE + 1; i++)
      await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    expect(await failedAuthRows(prefix)).toBe(AUTH_FAILURES_PER_MINUTE + 1);
  });
});

describe("failed attempts with a workspace's own key", () => {
  it("appear in that workspace's audit log, so its owners see them", async () => {
    const team = await makeTeam();
    const key = await mintKey(team.owner.token, team.workspace.id);
    const wrongSecret = `${key.token.slice(0, -4)}AAAA`;
    const res = await call("GET", `/v1/workspaces/${team.workspace.id}`, {
      token: wrongSecret,
      headers: { "CF-Connecting-IP": subnet()("1") },
    });
    expect(res.status).toBe(401);
    let events: { action: string; target_id: string | null }[] = [];
    for (let i = 0; i < 50 && !events.some((e) => e.action === "auth.failed"); i++) {
      await new Promise((r) => setTimeout(r, 20));
      events = await auditActions(team.workspace);
    }
    expect(events).toContainEqual({ action: "auth.failed", target_id: key.id });
  });
});

describe("per-address rules", () => {
  it("key an IPv6 caller by its /64, not its /128", async () => {
    const host = subnet();
    const reset = (ip: string) =>
      call("POST", "/v1/auth/password-reset/request", {
        body: { email: uniqueEmail("nobody") },
        headers: { "CF-Connecting-IP": ip },
      });
    for (let i = 1; i <= 10; i++) expect((await reset(host(i.toString(16)))).status).toBe(202);
    // Another address of the same /64 is the same caller…
    const same = await reset(host("beef:1"));
    expect([same.status, await errorCode(same)]).toEqual([429, "rate_limited"]);
    // …and a 429 carries the headers of the rule that refused it.
    expect(same.headers.get("RateLimit-Limit")).toBe("10");
    expect(same.headers.get("RateLimit-Remaining")).toBe("0");
    expect(Number(same.headers.get("Retry-After"))).toBeGreaterThan(0);
    // …while another /64 is not.
    expect((await reset(subnet()("1"))).status).toBe(202);
  });
});

describe("deployment switches", () => {
  it("refuses to serve when ENVIRONMENT is missing", async () => {
    const { ENVIRONMENT: _, ...withoutEnvironment } = env as unknown as Record<string, unknown>;
    const parsed = parseConfig(withoutEnvironment);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.problems.join(" ")).toContain("ENVIRONMENT");
    const ctx = createExecutionContext();
    const res = await buildApp().fetch(
      new Request("http://islet.test/v1/workspaces"),
      withoutEnvironment,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect([res.status, await errorCode(res)]).toEqual([503, "misconfigured"]);
  });

  it("opens the dev outbox only to loopback callers with ISLET_INSECURE_LOCAL", async () => {
    const path = `/v1/dev/outbox?to=${encodeURIComponent(uniqueEmail())}`;
    expect((await call("GET", path, { headers: { "CF-Connecting-IP": loopbackIp() } })).status).toBe(200);
    expect((await call("GET", path, { headers: { "CF-Connecting-IP": "::1" } })).status).toBe(200);
    const remote = await call("GET", path, { headers: { "CF-Connecting-IP": "203.0.113.50" } });
    expect([remote.status, await errorCode(remote)]).toEqual([404, "not_found"]);
    // Without the insecure-local switch, not even a loopback caller reads it.
    const ctx = {
      ...testContext({ type: "anonymous" }),
      ip: "127.0.0.1",
      config: { ...testConfig(), ISLET_INSECURE_LOCAL: false },
    };
    await expect(readOutbox({ ctx, input: { to: uniqueEmail() } })).rejects.toMatchObject({
      code: "not_found",
    });
  });
});

describe("answers that carry tokens", () => {
  it("are never cached", async () => {
    const user = await signupUser();
    const login = await call("POST", "/v1/auth/login", {
      body: { email: user.email, password: user.password },
      headers: { "CF-Connecting-IP": subnet()("1") },
    });
    expect(login.status).toBe(200);
    expect(login.headers.get("Cache-Control")).toBe("no-store");
    const refresh = await call("POST", "/v1/auth/refresh", {
      body: { refreshToken: (await json<{ session: { refreshToken: string } }>(login)).session.refreshToken },
      headers: { "CF-Connecting-IP": subnet()("1") },
    });
    expect(refresh.headers.get("Cache-Control")).toBe("no-store");
    const failed = await call("POST", "/v1/auth/login", {
      body: { email: user.email, password: "wrong-password-entirely" },
      headers: { "CF-Connecting-IP": subnet()("1") },
    });
    expect(failed.headers.get("Cache-Control")).toBe("no-store");
  });
});
