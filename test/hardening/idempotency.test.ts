// Idempotency keys (issue 19): a repeat with the same key and body gets the first answer, marked
// `Idempotent-Replayed: true`, and changes nothing; another body is 422; a repeat while the first
// runs is 409; shown-once secrets are never replayed. Real Worker, real Gatekeeper, real devdb.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/control/client";
import { sessions } from "../../src/db/control/schema";
import { tenantDb } from "../../src/db/tenant/client";
import { randomToken, sha256Hex } from "../../src/lib/crypto";
import { newId } from "../../src/lib/ids";
import { IDEMPOTENCY_TTL_MS, recordId } from "../../src/services/idempotency";
import { purgeExpiredAuthState } from "../../src/services/security-log/retention";
import { call, errorCode, json, makeUser, testConfig, testContext } from "../helpers";
import { makeTeam, type Team } from "../workspaces/fixtures";

const key = () => `retry-${crypto.randomUUID()}`;

async function withTable(team: Team) {
  const base = `/v1/workspaces/${team.workspace.id}`;
  const res = await call("POST", `${base}/tables`, {
    token: team.owner.token,
    body: { name: "items", columns: [{ name: "title", type: "text" }] },
  });
  expect(res.status).toBe(201);
  return `${base}/tables/items/rows`;
}

async function count(team: Team, sql: string): Promise<number> {
  const db = await tenantDb(testConfig(), team.workspace);
  return Number((await db.execute(sql)).rows[0]?.n);
}

/** Holds the key as a request in flight would: the real Gatekeeper object of the principal. */
async function holdKey(principal: string, idempotencyKey: string): Promise<void> {
  const stub = env.GATEKEEPER.get(env.GATEKEEPER.idFromName(principal));
  expect(await stub.claim(await recordId(principal, idempotencyKey), "test", 10_000)).toBe(true);
}

/** Replay, mismatch and in-progress for one write, asserting that the repeat changed nothing. */
async function expectKeyed(opts: {
  send: (body: unknown, headers: Record<string, string>) => Promise<Response>;
  body: unknown;
  other: unknown;
  principal: string;
  changed: () => Promise<number>;
}) {
  const headers = { "Idempotency-Key": key() };
  const first = await opts.send(opts.body, headers);
  expect(first.status).toBeLessThan(300);
  expect(first.headers.get("Idempotent-Replayed")).toBeNull();
  const firstText = await first.text();
  const after = await opts.changed();

  const again = await opts.send(opts.body, headers);
  expect([again.status, again.headers.get("Idempotent-Replayed")]).toEqual([first.status, "true"]);
  const againText = await again.text();
  expect(await opts.changed()).toBe(after);

  const mismatch = await opts.send(opts.other, headers);
  expect([mismatch.status, await errorCode(mismatch)]).toEqual([422, "idempotency_mismatch"]);
  expect(await opts.changed()).toBe(after);

  const held = { "Idempotency-Key": key() };
  await holdKey(opts.principal, held["Idempotency-Key"]);
  const busy = await opts.send(opts.body, held);
  expect([busy.status, await errorCode(busy)]).toEqual([409, "idempotency_in_progress"]);
  expect(busy.headers.get("Retry-After")).toBe("1");
  expect(await opts.changed()).toBe(after);
  return { firstText, againText };
}

describe("Idempotency-Key", () => {
  it("rows: a repeat is the first answer, another body 422, a key in flight 409", async () => {
    const team = await makeTeam();
    const rows = await withTable(team);
    const { firstText, againText } = await expectKeyed({
      send: (body, headers) => call("POST", rows, { token: team.member.token, body, headers }),
      body: { title: "once" },
      other: { title: "twice" },
      principal: `user:${team.member.id}`,
      changed: () => count(team, "SELECT count(*) AS n FROM items"),
    });
    expect(againText).toBe(firstText);
    expect(await count(team, "SELECT count(*) AS n FROM items")).toBe(1);

    // The same key from another principal is another request.
    const headers = { "Idempotency-Key": "shared-key" };
    for (const who of [team.member, team.admin]) {
      const res = await call("POST", rows, { token: who.token, body: { title: "x" }, headers });
      expect([res.status, res.headers.get("Idempotent-Replayed")]).toEqual([201, null]);
    }
    // A delete replays its 204 instead of a 404 for the row now gone.
    const id = (JSON.parse(firstText) as { rows: { id: number }[] }).rows[0]?.id;
    const del = { "Idempotency-Key": key() };
    for (const replayed of [null, "true"]) {
      const res = await call("DELETE", `${rows}/${id}`, { token: team.member.token, headers: del });
      expect([res.status, res.headers.get("Idempotent-Replayed")]).toEqual([204, replayed]);
    }
  });

  it("a retried bulk insert of 1,000 rows writes them once", async () => {
    const team = await makeTeam();
    const rows = await withTable(team);
    const body = { rows: Array.from({ length: 1_000 }, (_, i) => ({ title: `row ${i}` })) };
    const headers = { "Idempotency-Key": key() };
    const answers: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const res = await call("POST", rows, { token: team.member.token, body, headers });
      expect(res.status).toBe(201);
      answers.push(await res.text());
    }
    expect(new Set(answers).size).toBe(1);
    expect(await count(team, "SELECT count(*) AS n FROM items")).toBe(1_000);
    // Key order and spacing are not a different body.
    const reordered = JSON.stringify(body, null, 2);
    const res = await call("POST", rows, {
      token: team.member.token,
      body: reordered,
      headers: { ...headers, "Content-Type": "application/json" },
    });
    expect(res.headers.get("Idempotent-Replayed")).toBe("true");
  });

  it("keys: a replay never shows the token again", async () => {
    const team = await makeTeam();
    const keys = `/v1/workspaces/${team.workspace.id}/keys`;
    const { firstText, againText } = await expectKeyed({
      send: (body, headers) => call("POST", keys, { token: team.admin.token, body, headers }),
      body: { name: "ci", scopes: ["data:read"] },
      other: { name: "ci", scopes: ["data:write"] },
      principal: `user:${team.admin.id}`,
      changed: async () =>
        (await json<{ keys: unknown[] }>(await call("GET", keys, { token: team.admin.token }))).keys.length,
    });
    const first = JSON.parse(firstText) as { key: { id: string }; token: string };
    const again = JSON.parse(againText) as { key: { id: string }; token?: string };
    expect(first.token).toMatch(/^isk_/);
    expect(again.key).toEqual(first.key);
    expect(again.token).toBeUndefined();
    expect(againText).not.toContain(first.token.slice(-12));
    // Nor is it kept: the record holds the metadata only.
    const db = await tenantDb(testConfig(), team.workspace);
    const stored = await db.execute("SELECT answer FROM _islet_idempotency");
    expect(stored.rows.length).toBeGreaterThan(0);
    for (const row of stored.rows) expect(String(row.answer)).not.toContain(first.token.slice(-12));
  });

  it("members: a role change replays; another role is a mismatch", async () => {
    const team = await makeTeam();
    const member = `/v1/workspaces/${team.workspace.id}/members/${team.member.id}`;
    const roleChanges = async () =>
      Number(
        (
          await (
            await tenantDb(testConfig(), team.workspace)
          ).execute("SELECT count(*) AS n FROM _islet_audit_log WHERE action = 'member.role_change'")
        ).rows[0]?.n,
      );
    await expectKeyed({
      send: (body, headers) => call("PATCH", member, { token: team.owner.token, body, headers }),
      body: { role: "admin" },
      other: { role: "viewer" },
      principal: `user:${team.owner.id}`,
      changed: roleChanges,
    });
    expect(await roleChanges()).toBe(1);
  });

  it("functions: a create replays its 201; other code is a mismatch", async () => {
    const team = await makeTeam();
    const functions = `/v1/workspaces/${team.workspace.id}/functions`;
    await expectKeyed({
      send: (body, headers) => call("POST", functions, { token: team.admin.token, body, headers }),
      body: { name: "hello", code: "function main() { return 1; }" },
      other: { name: "hello", code: "function main() { return 2; }" },
      principal: `user:${team.admin.id}`,
      changed: () => count(team, "SELECT count(*) AS n FROM _islet_functions"),
    });
  });

  it("a concurrent repeat is told 409 while the first runs, then gets its answer", async () => {
    const team = await makeTeam();
    const accounts = `/v1/workspaces/${team.workspace.id}/accounts`;
    const put = await call("PUT", `${accounts}/upstream`, {
      token: team.admin.token,
      body: {
        baseUrl: `${env.TEST_OUTBOUND_FIXTURE_URL}/api`,
        authHeaderName: "X-Api-Key",
        authHeaderValue: "sk-0123456789abcdef",
      },
    });
    expect(put.status).toBe(200);
    const headers = { "Idempotency-Key": key() };
    const body = { method: "GET", path: "/wait", query: { ms: "1500" } };
    const send = () =>
      call("POST", `${accounts}/upstream/fetch`, { token: team.member.token, body, headers });
    const first = send();
    await new Promise((resolve) => setTimeout(resolve, 400));
    const busy = await send();
    expect([busy.status, await errorCode(busy)]).toEqual([409, "idempotency_in_progress"]);
    const answered = await first;
    expect(answered.status).toBe(200);
    const text = await answered.text();
    const replay = await send();
    expect([replay.status, replay.headers.get("Idempotent-Replayed")]).toEqual([200, "true"]);
    // The same upstream answer: the upstream was called once.
    expect(await replay.text()).toBe(text);
  });

  it("keeps no record of a request that changed nothing, and refuses a malformed key", async () => {
    const team = await makeTeam();
    const rows = await withTable(team);
    const headers = { "Idempotency-Key": key() };
    const bad = await call("POST", rows, { token: team.member.token, body: { nope: 1 }, headers });
    expect([bad.status, await errorCode(bad)]).toEqual([400, "invalid_request"]);
    const fixed = await call("POST", rows, { token: team.member.token, body: { title: "ok" }, headers });
    expect([fixed.status, fixed.headers.get("Idempotent-Replayed")]).toEqual([201, null]);
    for (const value of ["x".repeat(256), "tab\there", " "]) {
      const res = await call("POST", rows, {
        token: team.member.token,
        body: { title: "never" },
        headers: { "Idempotency-Key": value },
      });
      expect([res.status, await errorCode(res)]).toEqual([400, "invalid_request"]);
    }
    // A body nested past what can be walked is a clear refusal, never a 500.
    const deep = `${"[".repeat(100_000)}${"]".repeat(100_000)}`;
    const nested = await call("POST", rows, {
      token: team.member.token,
      body: deep,
      headers: { ...headers, "Content-Type": "application/json" },
    });
    expect(nested.status).toBe(400);
    expect(await count(team, "SELECT count(*) AS n FROM items")).toBe(1);
  });

  it("a record past 24 h is forgotten; one whose answer was lost is never run again", async () => {
    const team = await makeTeam();
    const rows = await withTable(team);
    const db = await tenantDb(testConfig(), team.workspace);
    const headers = { "Idempotency-Key": key() };
    const send = () => call("POST", rows, { token: team.member.token, body: { title: "a" }, headers });
    expect((await send()).status).toBe(201);

    // The first request committed, then passed its deadline before storing its answer.
    await db.execute(
      "UPDATE _islet_idempotency SET status = NULL, answer = NULL, created_at = created_at - 60000",
    );
    const lost = await send();
    expect([lost.status, await errorCode(lost)]).toEqual([409, "idempotency_committed"]);
    expect(await count(team, "SELECT count(*) AS n FROM items")).toBe(1);

    await db.execute("UPDATE _islet_idempotency SET created_at = created_at - 86400000");
    const fresh = await send();
    expect([fresh.status, fresh.headers.get("Idempotent-Replayed")]).toEqual([201, null]);
    expect(await count(team, "SELECT count(*) AS n FROM items")).toBe(2);
    // The expired record went with the new one's transaction.
    expect(await count(team, "SELECT count(*) AS n FROM _islet_idempotency")).toBe(2 - 1);
  });

  it("control-only writes keep their record in the control database", async () => {
    const user = await makeUser();
    const config = testConfig();
    const other = newId("ses");
    const now = Date.now();
    await controlDb(config)
      .insert(sessions)
      .values({
        id: other,
        userId: user.id,
        refreshHash: await sha256Hex(randomToken()),
        createdAt: now,
        lastUsedAt: now,
        expiresAt: now + 86_400_000,
      });
    const headers = { "Idempotency-Key": key() };
    const revoke = (id: string) => call("DELETE", `/v1/auth/sessions/${id}`, { token: user.token, headers });
    const first = await revoke(other);
    expect([first.status, first.headers.get("Idempotent-Replayed")]).toEqual([204, null]);
    const again = await revoke(other);
    expect([again.status, again.headers.get("Idempotent-Replayed")]).toEqual([204, "true"]);
    const elsewhere = await revoke(user.sessionId);
    expect([elsewhere.status, await errorCode(elsewhere)]).toEqual([422, "idempotency_mismatch"]);
    const id = await recordId(`user:${user.id}`, headers["Idempotency-Key"]);
    const stored = await controlDb(config).$client.execute({
      sql: "SELECT status FROM idempotency_records WHERE id = ?",
      args: [id],
    });
    expect(stored.rows.map((r) => Number(r.status))).toEqual([204]);
    // The daily job sweeps control records past their 24 h.
    const swept = await purgeExpiredAuthState({
      ctx: testContext(),
      input: { now: Date.now() + IDEMPOTENCY_TTL_MS + 60_000 },
    });
    expect(swept.idempotencyRecords).toBeGreaterThanOrEqual(1);
    const gone = await controlDb(config).$client.execute({
      sql: "SELECT 1 FROM idempotency_records WHERE id = ?",
      args: [id],
    });
    expect(gone.rows).toEqual([]);
  });
});
