import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { edgeApp, envelope, send } from "../../test/edge";
import { testConfig } from "../../test/helpers";
import { testIp } from "../../test/workspaces/fixtures";
import { controlDb } from "../db/control/client";
import { securityLog } from "../db/control/schema";
import { ApiError } from "../lib/errors";
import { AUTH_FAILURES_PER_MINUTE, assertUnderFailureLimit, verifying } from "./auth-failure";

/**
 * Not a middleware of its own: the credential checks (authenticate, socket tickets, the
 * gatekeeper's revocation) call these. Here a route plays the credential check.
 */
function app() {
  const app = edgeApp();
  app.get("/v1/check/:outcome", async (c) => {
    await assertUnderFailureLimit(c);
    await verifying(c, { via: "jwt" }, async () => {
      if (c.req.param("outcome") === "refused")
        throw new ApiError("invalid_token", "Access token is invalid");
      if (c.req.param("outcome") === "forbidden") throw new ApiError("forbidden", "Not yours");
    });
    return c.json({ ok: true });
  });
  return app;
}

const check = (outcome: string, ip: string) =>
  send(app(), `/v1/check/${outcome}`, { headers: { "CF-Connecting-IP": ip } });

describe("failed credentials, per address", () => {
  it("answers a refused credential as itself, and logs it with how it came and where", async () => {
    const res = await check("refused", testIp());
    expect(res.status).toBe(401);
    const { code, requestId } = await envelope(res);
    expect(code).toBe("invalid_token");
    const [logged] = await controlDb(testConfig())
      .select()
      .from(securityLog)
      .where(and(eq(securityLog.action, "auth.failed"), eq(securityLog.requestId, requestId)));
    expect(JSON.parse(logged?.details ?? "{}")).toEqual({
      via: "jwt",
      code: "invalid_token",
      path: "/v1/check/refused",
      limited: false,
    });
  });

  it("limits guessing: past the allowance an address gets 429 with Retry-After, even for a good credential", async () => {
    const ip = testIp();
    for (let i = 0; i < AUTH_FAILURES_PER_MINUTE; i++) expect((await check("refused", ip)).status).toBe(401);
    for (const outcome of ["refused", "admitted"]) {
      const res = await check(outcome, ip);
      expect(res.status, outcome).toBe(429);
      expect((await envelope(res)).code).toBe("rate_limited");
      expect(Number(res.headers.get("Retry-After"))).toBeGreaterThan(0);
    }
    expect((await check("admitted", testIp())).status).toBe(200);
  });

  it("counts only failed credentials: good ones and other refusals cost nothing", async () => {
    const ip = testIp();
    for (let i = 0; i < AUTH_FAILURES_PER_MINUTE; i++) {
      expect((await check("admitted", ip)).status).toBe(200);
      expect((await check("forbidden", ip)).status).toBe(403);
    }
    expect((await check("refused", ip)).status).toBe(401);
  });
});
