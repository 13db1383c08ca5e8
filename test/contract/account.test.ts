// The auth matrix for routes outside a workspace: the signed-in account's own session routes
// and the operator routes. Each case asserts status and code.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { revokeCredential } from "../../src/services/gatekeeper";
import { callWith, makeOperator, type Operator } from "../audit/operator-helpers";
import { call, errorCode, makeUser, makeWorkspace, type TestUser } from "../helpers";
import { expiredAccessToken, forgedAccessToken, mintKey, testIp } from "../workspaces/fixtures";

const ACCOUNT_ROUTES = [
  ["GET", "/v1/auth/session"],
  ["GET", "/v1/auth/sessions"],
  ["DELETE", "/v1/auth/sessions/ses_00000000000000000000000000"],
] as const;

describe.each(ACCOUNT_ROUTES)("auth contract: %s %s", (method, path) => {
  let user: TestUser;
  beforeAll(async () => {
    user = await makeUser();
  });
  const send = (token?: string, headers: Record<string, string> = {}) =>
    call(method, path, { token, headers: { "CF-Connecting-IP": testIp(), ...headers } });
  const expectError = async (res: Response, status: number, code: string) =>
    expect({ status: res.status, code: await errorCode(res) }).toEqual({ status, code });

  it("no credential → 401 unauthorized", async () => expectError(await send(), 401, "unauthorized"));
  it("malformed Authorization → 401 unauthorized", async () =>
    expectError(await send(undefined, { Authorization: "Basic dXNlcjpwYXNz" }), 401, "unauthorized"));
  it("forged access token → 401 invalid_token", async () =>
    expectError(await send(await forgedAccessToken(user)), 401, "invalid_token"));
  it("expired access token → 401 token_expired", async () =>
    expectError(await send(await expiredAccessToken(user)), 401, "token_expired"));
  it("revoked session → 401 credential_revoked", async () => {
    const other = await makeUser();
    await revokeCredential(env, `user:${other.id}`, other.sessionId, { at: Date.now() });
    await expectError(await send(other.token), 401, "credential_revoked");
  });
  it("an API key, whatever its scopes → 403 forbidden (people only)", async () => {
    const owner = await makeUser();
    const workspace = await makeWorkspace(owner);
    const key = await mintKey(owner.token, workspace.id, { scopes: ["data:read", "keys:manage"] });
    await expectError(await send(key.token), 403, "forbidden");
  });
  it("the signed-in user succeeds (or, for another's session id, is told it is not theirs)", async () => {
    const res = await send(user.token);
    expect(res.status === 200 || res.status === 404, `status ${res.status}`).toBe(true);
  });
});

describe("auth contract: operator routes", () => {
  let operator: Operator;
  let workspaceId: string;
  let user: TestUser;
  beforeAll(async () => {
    operator = await makeOperator();
    user = await makeUser();
    workspaceId = (await makeWorkspace(user)).id;
  });
  const routes = () =>
    [
      [
        "PUT",
        `/v1/operator/workspaces/${workspaceId}/plan`,
        { plan: "pro", reason: "contract: billing change" },
      ],
      [
        "POST",
        `/v1/operator/workspaces/${workspaceId}/rows/read`,
        { table: "t", reason: "contract: a ticket" },
      ],
    ] as const;
  it.each([
    ["no credential", undefined],
    ["a user's bearer token", "bearer"],
    ["a wrong operator token", "Operator not-the-token"],
  ])("%s → 401 unauthorized", async (_what, auth) => {
    for (const [method, path, body] of routes()) {
      const authorization = auth === "bearer" ? `Bearer ${user.token}` : auth;
      const res = await callWith(operator.vars, method, path, { authorization, body, ip: testIp() });
      expect({ status: res.status, code: await errorCode(res) }).toEqual({
        status: 401,
        code: "unauthorized",
      });
    }
  });
  it("the operator succeeds", async () => {
    const [method, path, body] = routes()[0];
    const res = await callWith(operator.vars, method, path, {
      authorization: `Operator ${operator.token}`,
      body,
    });
    expect(res.status).toBe(200);
  });
});
