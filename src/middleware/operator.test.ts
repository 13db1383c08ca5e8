import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { edgeApp, envelope, send } from "../../test/edge";
import { makeUser, testConfig } from "../../test/helpers";
import { controlDb } from "../db/control/client";
import { securityLog } from "../db/control/schema";
import { randomToken, sha256Hex } from "../lib/crypto";
import { operatorAuthenticate } from "./operator";

const token = randomToken();
const vars = async () => ({ OPERATOR_TOKENS: JSON.stringify({ "oncall-test": await sha256Hex(token) }) });

function app() {
  const app = edgeApp();
  app.use("*", operatorAuthenticate);
  app.get("/v1/operator/whoami", (c) => c.json({ actor: c.var.actor }));
  return app;
}

const call = async (authorization?: string, config?: Record<string, string>) =>
  send(
    app(),
    "/v1/operator/whoami",
    { headers: authorization ? { Authorization: authorization } : {} },
    config ?? (await vars()),
  );

/** The security log's event of one request (by its id), written before the response. */
async function logged(res: Response, action: string) {
  const [row] = await controlDb(testConfig())
    .select()
    .from(securityLog)
    .where(
      and(eq(securityLog.action, action), eq(securityLog.requestId, res.headers.get("X-Request-Id") ?? "")),
    );
  return row ? (JSON.parse(row.details ?? "{}") as Record<string, unknown>) : undefined;
}

async function refused(res: Response) {
  expect(res.status).toBe(401);
  expect((await envelope(res)).code).toBe("unauthorized");
}

describe("operatorAuthenticate", () => {
  it("names the operator whose token hash is configured, and logs the call with its outcome", async () => {
    const res = await call(`Operator ${token}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ actor: { type: "operator", operatorId: "oncall-test" } });
    expect(await logged(res, "operator.request")).toMatchObject({
      operatorId: "oncall-test",
      method: "GET",
      path: "/v1/operator/whoami",
      status: 200,
    });
  });

  it("refuses a wrong token and logs the attempt, never the token", async () => {
    const res = await call(`Operator ${randomToken()}`);
    await refused(res);
    expect(await logged(res, "operator.auth_failed")).toEqual({
      path: "/v1/operator/whoami",
      scheme: "operator",
    });
  });

  it("accepts nothing else: not a session, not a missing header, not a deployment without operators", async () => {
    const user = await makeUser();
    const bearer = await call(`Bearer ${user.token}`);
    await refused(bearer);
    expect(await logged(bearer, "operator.auth_failed")).toMatchObject({ scheme: "other" });
    await refused(await call());
    await refused(await call(`Operator ${token}`, { OPERATOR_TOKENS: "" }));
  });
});
