import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/control/client";
import { securityLog } from "../../src/db/control/schema";
import { AUTH_FAILURES_PER_MINUTE } from "../../src/middleware/auth-failure";
import { call, errorCode, testConfig } from "../helpers";

const freshIp = () => `198.18.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;

describe("refused credentials", () => {
  it("are logged to the platform security log with the caller's address", async () => {
    const ip = freshIp();
    const res = await call("GET", "/v1/workspaces", {
      headers: {
        Authorization: "Bearer isk_0000000000000000000000zz_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "CF-Connecting-IP": ip,
      },
    });
    expect([res.status, await errorCode(res)]).toEqual([401, "invalid_token"]);
    let rows: (typeof securityLog.$inferSelect)[] = [];
    for (let i = 0; i < 50 && rows.length === 0; i++) {
      rows = await controlDb(testConfig())
        .select()
        .from(securityLog)
        .where(and(eq(securityLog.action, "auth.failed"), eq(securityLog.ip, ip)));
      if (rows.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0]?.details ?? "{}")).toMatchObject({
      via: "api_key",
      keyId: "0000000000000000000000zz",
    });
    expect(rows[0]?.details).not.toContain("AAAAAAAA");
  });

  it("are limited per address: guessing costs a 429 after a few dozen tries", async () => {
    const ip = freshIp();
    const guess = () =>
      call("GET", "/v1/workspaces", {
        headers: { Authorization: "Bearer not.a.jwt", "CF-Connecting-IP": ip },
      });
    for (let i = 0; i < AUTH_FAILURES_PER_MINUTE; i++) expect((await guess()).status).toBe(401);
    const limited = await guess();
    expect([limited.status, await errorCode(limited)]).toEqual([429, "rate_limited"]);
    expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThan(0);
    // Another address is unaffected.
    const other = await call("GET", "/v1/workspaces", {
      headers: { Authorization: "Bearer not.a.jwt", "CF-Connecting-IP": freshIp() },
    });
    expect(other.status).toBe(401);
  });
});
