import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { edgeApp, envelope, send } from "../../test/edge";
import { makeUser, testConfig } from "../../test/helpers";
import { testIp } from "../../test/workspaces/fixtures";
import { controlDb } from "../db/control/client";
import { securityLog } from "../db/control/schema";
import { addressKey } from "../lib/address";
import { planRules } from "../lib/plans";
import { gate, revokeCredential } from "../services/gatekeeper";
import { authenticate } from "./authenticate";
import { gatekeeper } from "./gatekeeper";

function app() {
  const app = edgeApp();
  app.use("*", authenticate, gatekeeper);
  app.get("/v1/things", (c) => c.json({ reached: true }));
  // A route with its own limit (signup, login) has already said which rule applies.
  app.post("/v1/auth/login", (c) => {
    c.header("RateLimit-Limit", "5");
    return c.json({ reached: true });
  });
  return app;
}

/** Spends a principal's whole free-plan minute, as a hundred earlier requests would have. */
const exhaust = (principal: string) => gate(env, principal, { cost: 100, rules: planRules("free") });

describe("gatekeeper (architecture §4)", () => {
  it("admits with RateLimit headers: anonymous callers count per address on the free plan", async () => {
    const ip = testIp();
    const first = await send(app(), "/v1/things", { headers: { "CF-Connecting-IP": ip } });
    const second = await send(app(), "/v1/things", { headers: { "CF-Connecting-IP": ip } });
    expect(first.status).toBe(200);
    expect(first.headers.get("RateLimit-Limit")).toBe("100");
    expect(first.headers.get("RateLimit-Remaining")).toBe("99");
    expect(second.headers.get("RateLimit-Remaining")).toBe("98");
  });

  it("refuses a principal over its limit with 429 rate_limited and Retry-After, before the route", async () => {
    const ip = testIp();
    await exhaust(`ip:${addressKey(ip)}:api`);
    const res = await send(app(), "/v1/things", { headers: { "CF-Connecting-IP": ip } });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect((await envelope(res)).code).toBe("rate_limited");
    // Another address is its own principal.
    expect((await send(app(), "/v1/things")).status).toBe(200);
  });

  it("logs a flood's first refusal only", async () => {
    const user = await makeUser();
    await exhaust(`user:${user.id}`);
    for (let i = 0; i < 3; i++) {
      const res = await send(app(), "/v1/things", { headers: { Authorization: `Bearer ${user.token}` } });
      expect(res.status).toBe(429);
    }
    const events = await controlDb(testConfig())
      .select()
      .from(securityLog)
      .where(and(eq(securityLog.action, "ratelimit.exceeded"), eq(securityLog.subjectUserId, user.id)));
    expect(events).toHaveLength(1);
  });

  it("refuses a revoked session on the very next request with 401 credential_revoked", async () => {
    const user = await makeUser();
    const headers = { Authorization: `Bearer ${user.token}` };
    expect((await send(app(), "/v1/things", { headers })).status).toBe(200);
    await revokeCredential(env, `user:${user.id}`, user.sessionId, { at: Date.now() });
    const res = await send(app(), "/v1/things", { headers });
    expect(res.status).toBe(401);
    expect((await envelope(res)).code).toBe("credential_revoked");
  });

  it("keeps the RateLimit headers of a route that set its own", async () => {
    const res = await send(app(), "/v1/auth/login", { method: "POST" });
    expect(res.headers.get("RateLimit-Limit")).toBe("5");
    // Not mixed with the principal's own counters.
    expect(res.headers.get("RateLimit-Remaining")).toBeNull();
  });
});
