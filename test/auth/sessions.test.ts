import { describe, expect, it } from "vitest";
import { call, errorCode, json } from "../helpers";
import { loginUser, type SessionBody, signupUser, testIp } from "./helpers";

const refresh = (refreshToken: string) =>
  call("POST", "/v1/auth/refresh", { body: { refreshToken }, headers: { "CF-Connecting-IP": testIp() } });

const sessionOf = async (res: Response) => (await json<{ session: SessionBody }>(res)).session;

describe("refresh tokens", () => {
  it("rotate: each refresh returns a new pair for the same session and retires the old refresh token", async () => {
    const user = await signupUser();
    const res = await refresh(user.session.refreshToken);
    expect(res.status).toBe(200);
    const next = await sessionOf(res);
    expect(next.id).toBe(user.session.id);
    expect(next.refreshToken).not.toBe(user.session.refreshToken);
    expect(next.accessToken).not.toBe(user.session.accessToken);
    expect((await call("GET", "/v1/auth/session", { token: next.accessToken })).status).toBe(200);
    // A second rotation from the new token works too.
    expect((await refresh(next.refreshToken)).status).toBe(200);
  });

  it("reuse of a rotated refresh token revokes the whole session family", async () => {
    const user = await signupUser();
    const next = await sessionOf(await refresh(user.session.refreshToken));

    // The stolen copy of the first refresh token is presented again.
    const replay = await refresh(user.session.refreshToken);
    expect(replay.status).toBe(401);
    expect(await errorCode(replay)).toBe("invalid_token");

    // The legitimate holder's newer refresh token and access token die with the family.
    const after = await refresh(next.refreshToken);
    expect(after.status).toBe(401);
    const me = await call("GET", "/v1/auth/session", { token: next.accessToken });
    expect(me.status).toBe(401);
    expect(await errorCode(me)).toBe("credential_revoked");
    // Other sessions of the same user are untouched.
    const other = await loginUser(user.email, user.password);
    expect((await call("GET", "/v1/auth/session", { token: other.accessToken })).status).toBe(200);
  });

  it("refuses unknown and malformed refresh tokens", async () => {
    const unknown = await refresh("0".repeat(64));
    expect(unknown.status).toBe(401);
    expect(await errorCode(unknown)).toBe("invalid_token");
    const malformed = await refresh("not-a-token");
    expect(malformed.status).toBe(400);
    const missing = await call("POST", "/v1/auth/refresh", { headers: { "CF-Connecting-IP": testIp() } });
    expect(missing.status).toBe(401);
  });
});

describe("sessions", () => {
  it("GET /v1/auth/session shows the user, the session and the personal workspace", async () => {
    const user = await signupUser({ region: "us-west" });
    const res = await call("GET", "/v1/auth/session", { token: user.session.accessToken });
    const body = await json<{
      user: { id: string };
      session: { id: string };
      workspace: { id: string; region: string };
    }>(res);
    expect(body.user.id).toBe(user.id);
    expect(body.session.id).toBe(user.session.id);
    expect(body.workspace).toMatchObject({ id: user.workspace.id, region: "us-west" });
  });

  it("anonymous callers get 401 from the session endpoints", async () => {
    for (const [method, path] of [
      ["GET", "/v1/auth/session"],
      ["GET", "/v1/auth/sessions"],
      ["POST", "/v1/auth/resend-verification"],
    ] as const) {
      const res = await call(method, path, { headers: { "CF-Connecting-IP": testIp() } });
      expect(res.status).toBe(401);
      expect(await errorCode(res)).toBe("unauthorized");
    }
  });

  it("lists the user's devices and signs one out at once", async () => {
    const user = await signupUser();
    const laptop = await loginUser(user.email, user.password);
    const list = await call("GET", "/v1/auth/sessions", { token: user.session.accessToken });
    const { sessions } = await json<{ sessions: { id: string; current: boolean; ip: string }[] }>(list);
    expect(sessions.map((s) => s.id).sort()).toEqual([user.session.id, laptop.id].sort());
    expect(sessions.find((s) => s.current)?.id).toBe(user.session.id);

    const del = await call("DELETE", `/v1/auth/sessions/${laptop.id}`, { token: user.session.accessToken });
    expect(del.status).toBe(204);
    // The revoked device's access token is refused on its very next request, and its refresh too.
    const me = await call("GET", "/v1/auth/session", { token: laptop.accessToken });
    expect(await errorCode(me)).toBe("credential_revoked");
    expect((await refresh(laptop.refreshToken)).status).toBe(401);
    expect((await call("GET", "/v1/auth/session", { token: user.session.accessToken })).status).toBe(200);
  });

  it("cannot sign out another user's session (404, nothing revoked)", async () => {
    const alice = await signupUser();
    const bob = await signupUser();
    const res = await call("DELETE", `/v1/auth/sessions/${bob.session.id}`, {
      token: alice.session.accessToken,
    });
    expect(res.status).toBe(404);
    expect((await call("GET", "/v1/auth/session", { token: bob.session.accessToken })).status).toBe(200);
  });

  it("logout ends the session: its access and refresh tokens stop working", async () => {
    const user = await signupUser();
    const res = await call("POST", "/v1/auth/logout", { token: user.session.accessToken });
    expect(res.status).toBe(204);
    expect(await errorCode(await call("GET", "/v1/auth/session", { token: user.session.accessToken }))).toBe(
      "credential_revoked",
    );
    expect((await refresh(user.session.refreshToken)).status).toBe(401);
  });

  it("logout with only a refresh token ends that session", async () => {
    const user = await signupUser();
    const res = await call("POST", "/v1/auth/logout", {
      body: { refreshToken: user.session.refreshToken },
      headers: { "CF-Connecting-IP": testIp() },
    });
    expect(res.status).toBe(204);
    expect((await call("GET", "/v1/auth/session", { token: user.session.accessToken })).status).toBe(401);
  });
});
