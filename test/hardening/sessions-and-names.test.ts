// Issue 13's smaller items: sessions have an absolute lifetime, a login that raced a password
// change creates no session, function names are names, and validation errors name the place.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/control/client";
import { sessions, users } from "../../src/db/control/schema";
import { SESSION_MAX_AGE_MS, startSession } from "../../src/services/auth/sessions";
import { signupUser, testIp } from "../auth/helpers";
import { call, errorCode, json, makeUser, makeWorkspace, testConfig, testContext } from "../helpers";

describe("sessions", () => {
  it("end at their absolute lifetime however often they are refreshed", async () => {
    const user = await signupUser();
    await controlDb(testConfig())
      .update(sessions)
      .set({ createdAt: Date.now() - SESSION_MAX_AGE_MS - 1000 })
      .where(eq(sessions.id, user.session.id));
    const res = await call("POST", "/v1/auth/refresh", {
      body: { refreshToken: user.session.refreshToken },
      headers: { "CF-Connecting-IP": testIp() },
    });
    expect([res.status, await errorCode(res)]).toEqual([401, "token_expired"]);
  });

  it("are not created for a sign-in whose password changed after it was checked", async () => {
    const user = await makeUser();
    const changedAt = Date.now();
    await controlDb(testConfig())
      .update(users)
      .set({ passwordChangedAt: changedAt })
      .where(eq(users.id, user.id));
    const ctx = testContext(user.actor);
    await expect(startSession(ctx, user.id, { passwordChangedAt: changedAt - 5000 })).rejects.toMatchObject({
      code: "unauthorized",
    });
    const [none] = await controlDb(testConfig()).select().from(sessions).where(eq(sessions.userId, user.id));
    expect(none?.id).toBe(user.sessionId); // only the fixture's own session exists
    expect((await startSession(ctx, user.id, { passwordChangedAt: changedAt })).sessionId).toBeTruthy();
  });
});

describe("names and messages", () => {
  it("accepts function names that are SQL keywords", async () => {
    const owner = await makeUser();
    const workspace = await makeWorkspace(owner);
    for (const name of ["add", "select", "send-welcome"]) {
      const res = await call("POST", `/v1/workspaces/${workspace.id}/functions`, {
        token: owner.token,
        body: { name, code: "function main() { return 1 }" },
      });
      expect(res.status, name).toBe(201);
    }
  });

  it("names the place that failed validation", async () => {
    const owner = await makeUser();
    const res = await call("DELETE", "/v1/workspaces/ws_00000000000000000000000000/keys/NOT-A-KEY", {
      token: owner.token,
    });
    expect(res.status).toBeLessThan(500);
    const sessionsRes = await call("DELETE", "/v1/auth/sessions/%20", { token: owner.token });
    const body = await json<{ error: { message: string } }>(sessionsRes);
    expect(body.error.message).toMatch(/^Invalid path parameters: sessionId: /);
  });
});
