// Break-glass: an operator reads tenant rows only with a reason, the read is in the tenant's own
// audit log and the platform log, and every owner is emailed first.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { tenantDb } from "../../src/db/tenant/client";
import { sha256Hex } from "../../src/lib/crypto";
import { loopbackIp } from "../auth/helpers";
import { call, errorCode, json, makeUser, makeWorkspace, testConfig } from "../helpers";
import { addMember } from "../workspaces/fixtures";
import { platformLog, tenantLog } from "./helpers";
import { callWith, makeOperator } from "./operator-helpers";

async function customerWorkspace() {
  const owner = await makeUser();
  const workspace = await makeWorkspace(owner);
  const coOwner = await addMember(workspace, "owner");
  const admin = await addMember(workspace, "admin");
  const tenant = await tenantDb(testConfig(), workspace);
  await tenant.batch(
    [
      "CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL, avatar BLOB)",
      "INSERT INTO customers (email, avatar) VALUES ('ada@example.test', x'0102'), ('bob@example.test', NULL), ('cy@example.test', NULL)",
    ],
    "write",
  );
  return { owner, coOwner, admin, workspace };
}

const readPath = (workspaceId: string) => `/v1/operator/workspaces/${workspaceId}/rows/read`;
const REASON = "Support ticket #4411: customer reports missing rows";

async function outbox(to: string) {
  const res = await call("GET", `/v1/dev/outbox?to=${encodeURIComponent(to)}`, {
    headers: { "CF-Connecting-IP": loopbackIp() },
  });
  return (await json<{ messages: { subject: string; text: string; tag: string }[] }>(res)).messages;
}

describe("POST /v1/operator/workspaces/:id/rows/read", () => {
  it("reads rows, logs operator.data_access in both logs and emails every owner", async () => {
    const { owner, coOwner, admin, workspace } = await customerWorkspace();
    const operator = await makeOperator();
    const res = await callWith(operator.vars, "POST", readPath(workspace.id), {
      authorization: `Operator ${operator.token}`,
      body: { table: "customers", reason: REASON, limit: 2 },
      ip: "192.0.2.50",
    });
    expect(res.status).toBe(200);
    const body = await json<{ rows: Record<string, unknown>[]; columns: string[]; ownersNotified: number }>(
      res,
    );
    expect(body.columns).toEqual(["id", "email", "avatar"]);
    expect(body.rows).toEqual([
      { id: 1, email: "ada@example.test", avatar: "AQI=" },
      { id: 2, email: "bob@example.test", avatar: null },
    ]);
    expect(body.ownersNotified).toBe(2);

    const requestId = res.headers.get("X-Request-Id");
    const event = (await tenantLog(workspace)).at(-1);
    expect(event).toMatchObject({
      action: "operator.data_access",
      actor_type: "operator",
      actor_id: operator.id,
      target_id: "customers",
      ip: "192.0.2.50",
      request_id: requestId,
    });
    expect(JSON.parse(event?.details ?? "{}")).toMatchObject({ reason: REASON, limit: 2, ownersNotified: 2 });
    expect(await platformLog({ requestId: requestId ?? "" })).toMatchObject([
      { action: "operator.data_access", actorType: "operator", actorId: operator.id, ip: "192.0.2.50" },
      { action: "operator.request", actorType: "operator", actorId: operator.id, ip: "192.0.2.50" },
    ]);

    for (const who of [owner, coOwner]) {
      const [mail] = await outbox(who.email);
      expect(mail?.tag).toBe("operator_data_access");
      expect(mail?.text).toContain(REASON);
      expect(mail?.text).toContain("customers");
      expect(mail?.text).not.toContain("ada@example.test");
    }
    expect(await outbox(admin.email)).toEqual([]);
  });

  it("requires a reason of at least 10 characters and reads nothing without one", async () => {
    const { workspace } = await customerWorkspace();
    const operator = await makeOperator();
    const before = await tenantLog(workspace);
    for (const body of [{ table: "customers" }, { table: "customers", reason: "   because " }]) {
      const res = await callWith(operator.vars, "POST", readPath(workspace.id), {
        authorization: `Operator ${operator.token}`,
        body,
      });
      expect(await errorCode(res)).toBe("invalid_request");
    }
    expect(await tenantLog(workspace)).toEqual(before);
  });

  it("refuses system tables and names missing tables", async () => {
    const { workspace } = await customerWorkspace();
    const operator = await makeOperator();
    const read = (table: string) =>
      callWith(operator.vars, "POST", readPath(workspace.id), {
        authorization: `Operator ${operator.token}`,
        body: { table, reason: REASON },
      });
    expect(await errorCode(await read("_islet_audit_log"))).toBe("invalid_request");
    expect(await errorCode(await read("sqlite_schema"))).toBe("invalid_request");
    expect(await errorCode(await read('customers" --'))).toBe("invalid_request");
    expect(await errorCode(await read("nothing_here"))).toBe("not_found");
  });

  it("reads nothing when the owners cannot be alerted", async () => {
    const { workspace } = await customerWorkspace();
    const operator = await makeOperator();
    const before = await tenantLog(workspace);
    const brokenMail = {
      ...operator.vars,
      MAIL_PROVIDER: "resend",
      MAIL_API_URL: String(env.TEST_MAIL_FIXTURE_URL),
      MAIL_API_KEY: "re_wrong_key",
    };
    const res = await callWith(brokenMail, "POST", readPath(workspace.id), {
      authorization: `Operator ${operator.token}`,
      body: { table: "customers", reason: REASON },
    });
    expect(res.status).toBe(503);
    expect(await errorCode(res)).toBe("unavailable");
    expect(await tenantLog(workspace)).toEqual(before);
  });

  it("accepts only operator credentials, and logs failed attempts", async () => {
    const { owner, workspace } = await customerWorkspace();
    const operator = await makeOperator();
    const attempt = (authorization?: string, vars = operator.vars) =>
      callWith(vars, "POST", readPath(workspace.id), {
        authorization,
        body: { table: "customers", reason: REASON },
      });
    expect(await errorCode(await attempt())).toBe("unauthorized");
    expect(await errorCode(await attempt(`Bearer ${owner.token}`))).toBe("unauthorized");
    const wrong = await attempt(`Operator ${operator.token.replace(/.$/, "0")}x`);
    expect(await errorCode(wrong)).toBe("unauthorized");
    expect(await platformLog({ requestId: wrong.headers.get("X-Request-Id") ?? "" })).toMatchObject([
      { action: "operator.auth_failed", actorType: "anonymous" },
    ]);
    // With no operators configured nobody gets in.
    expect(await errorCode(await attempt(`Operator ${operator.token}`, {}))).toBe("unauthorized");
    // An operator token is not a credential anywhere else.
    const elsewhere = await callWith(operator.vars, "GET", `/v1/workspaces/${workspace.id}`, {
      authorization: `Operator ${operator.token}`,
    });
    expect(await errorCode(elsewhere)).toBe("unauthorized");
    expect((await tenantLog(workspace)).some((e) => e.action === "operator.data_access")).toBe(false);
  });
});

describe("OPERATOR_TOKENS configuration", () => {
  const production = async (operatorTokens: Record<string, string>) => {
    const result = parseConfig({
      ENVIRONMENT: "production",
      PUBLIC_URL: "https://api.islet.example",
      CONTROL_DB_URL: "libsql://control-islet.turso.io",
      CONTROL_DB_TOKEN: "eyJhbGciOiJFZERTQSJ9.prod-control-token.sig",
      PROVISIONER: "turso",
      TURSO_ORG: "islet",
      TURSO_API_TOKEN: "eyJhbGciOiJSUzI1NiJ9.prod-platform-token.sig",
      ISLET_KEYRING: JSON.stringify({
        active: 1,
        keys: { "1": btoa("Zq8#Lm2@Xv4!Tn6$Rb9%kPw3*Hj5^Ds1") },
      }),
      SESSION_JWT_SECRET: "Zk3q9XvT1mB8sLr2Wc7yHd4Ne6Pa0Gu5Jx1Ko3Qi",
      PLATFORM_SIGNING_KEYS: JSON.stringify({ active: "k1", keys: { k1: btoa("x".repeat(48)) } }),
      OPERATOR_TOKENS: JSON.stringify(operatorTokens),
    });
    return result.ok ? [] : result.problems;
  };

  it("production accepts real operator hashes and refuses dev-looking ones", async () => {
    const real = await sha256Hex(crypto.randomUUID());
    expect(await production({ "oncall-alice": real })).toEqual([]);
    expect(await production({ "dev-operator": real })).toEqual([
      expect.stringMatching(/OPERATOR_TOKENS entry dev-operator/),
    ]);
    expect(await production({ alice: await sha256Hex("change-me") })).toEqual([
      expect.stringMatching(/OPERATOR_TOKENS entry alice is a development value/),
    ]);
    expect(await production({ alice: "0".repeat(64) })).toHaveLength(1);
  });

  it("refuses malformed values without echoing them", () => {
    const result = parseConfig({ ...env, OPERATOR_TOKENS: '{"alice":"plain-text-token"}' });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.problems.join()).toMatch(/OPERATOR_TOKENS/);
      expect(result.problems.join()).not.toContain("plain-text-token");
    }
  });
});
