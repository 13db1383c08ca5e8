// Webhooks are at least once from commit (architecture §8, issue 31), under injected faults: the queue
// refusing the send, the Worker cut off right after the commit, the consumer failing and the
// queue giving up on the message, the endpoint answering 500 before 200. The queue, the consumer,
// the scheduled handler and the receiver (a local HTTP endpoint) are the real ones; a fault is a
// queue binding that throws or records instead of sending, or a consumer run with a keyring that
// cannot open the endpoint's secret.
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  getQueueResult,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Bindings } from "../../src/config";
import { tenantDb } from "../../src/db/tenant/client";
import worker from "../../src/index";
import { bytesToBase64 } from "../../src/lib/encoding";
import { deleteRow, insertRows, updateRow } from "../../src/services/rows";
import { SWEEP_GRACE_MS } from "../../src/services/webhooks/sweep";
import { call, json, testConfig, testContext } from "../helpers";
import { makeTeam, type Team } from "../workspaces/fixtures";
import { type Received, receivedBy, registerEndpoint, waitFor } from "./hooks";

async function setUp(fail = 0) {
  const team = await makeTeam();
  const res = await call("POST", `/v1/workspaces/${team.workspace.id}/tables`, {
    token: team.owner.token,
    body: { name: "todos", columns: [{ name: "title", type: "text" }] },
  });
  expect(res.status).toBe(201);
  const hook = await registerEndpoint(
    team.admin.token,
    team.workspace.id,
    ["row.created", "row.updated", "row.deleted"],
    fail,
  );
  return { team, hook, db: await tenantDb(testConfig(), team.workspace) };
}

/** The owner's service context on a Worker whose queue binding is `queue`, and its waitUntils. */
function ownerOn(team: Team, queue: unknown) {
  const pending: Promise<unknown>[] = [];
  const ctx = {
    ...testContext(team.owner.actor),
    env: { ...env, WEBHOOKS: queue } as Bindings,
    waitUntil: (p: Promise<unknown>) => void pending.push(p),
  };
  return { ctx, settled: () => Promise.all(pending) };
}

const refusingQueue = {
  send: () => Promise.reject(new Error("queue unavailable")),
  sendBatch: () => Promise.reject(new Error("queue unavailable")),
};

async function runCron(scheduledTime: number, cron = "*/5 * * * *") {
  const ctx = createExecutionContext();
  await worker.scheduled?.(createScheduledController({ scheduledTime, cron }), env, ctx);
  await waitOnExecutionContext(ctx);
}

interface LogEntry {
  id: string;
  eventType: string;
  status: string;
  attempts: number;
  lastStatus: number | null;
}

async function deliveryLog(team: Team, hookId: string): Promise<LogEntry[]> {
  const res = await call("GET", `/v1/workspaces/${team.workspace.id}/webhooks/${hookId}/deliveries`, {
    token: team.admin.token,
  });
  expect(res.status).toBe(200);
  return (await json<{ deliveries: LogEntry[] }>(res)).deliveries;
}

/** What a receiver was sent, as (webhook-id, event, row title or id), in arrival order. */
const events = (requests: Received[]) =>
  requests.map((r) => {
    const body = JSON.parse(r.body) as { type: string; data: { id: number; row?: { title: string } } };
    return { id: r.headers["webhook-id"], status: r.status, type: body.type, title: body.data.row?.title };
  });

const count = async (db: Awaited<ReturnType<typeof setUp>>["db"], sql: string) =>
  Number((await db.execute(sql)).rows[0]?.n);

describe("webhook delivery under faults", () => {
  it("writes each event with its change: a Worker cut off after the commit loses none, the sweep sends them", async () => {
    const { team, hook, db } = await setUp();
    // No queue binding: the commit happens and no dispatch can run, as if the Worker died then.
    const owner = ownerOn(team, undefined);
    const input = { workspaceId: team.workspace.id, table: "todos" };
    await insertRows({ ctx: owner.ctx, input: { ...input, rows: [{ title: "a" }, { title: "b" }] } });
    await updateRow({ ctx: owner.ctx, input: { ...input, id: 1, values: { title: "a2" } } });
    await deleteRow({ ctx: owner.ctx, input: { ...input, id: 2 } });
    await owner.settled();
    expect(await count(db, "SELECT count(*) AS n FROM _islet_webhook_outbox")).toBe(4);
    expect(await count(db, "SELECT count(*) AS n FROM _islet_webhook_deliveries")).toBe(0);
    expect(await receivedBy(hook.name)).toEqual([]);

    await runCron(Date.now());
    const received = events(await waitFor(hook.name, 4));
    // Every event, once, in the order it was written (one queue batch, one consumer).
    expect(received.map((e) => [e.type, e.title])).toEqual([
      ["row.created", "a"],
      ["row.created", "b"],
      ["row.updated", "a2"],
      ["row.deleted", undefined],
    ]);
    expect(await count(db, "SELECT count(*) AS n FROM _islet_webhook_outbox")).toBe(0);
    // A second run finds nothing left to send: no event is made into a second delivery.
    await runCron(Date.now() + SWEEP_GRACE_MS + 1000);
    expect(await receivedBy(hook.name)).toHaveLength(4);
    const log = await deliveryLog(team, hook.id);
    expect(log.map((d) => d.status)).toEqual(["succeeded", "succeeded", "succeeded", "succeeded"]);
    expect(new Set(log.map((d) => d.id))).toEqual(new Set(received.map((e) => e.id)));
  });

  it("keeps deliveries pending when the queue send throws, and the sweep re-sends them after the grace period", async () => {
    const { team, hook, db } = await setUp();
    const owner = ownerOn(team, refusingQueue);
    for (const title of ["x", "y", "z"])
      await insertRows({
        ctx: owner.ctx,
        input: { workspaceId: team.workspace.id, table: "todos", rows: [{ title }] },
      });
    await owner.settled();
    expect(await count(db, "SELECT count(*) AS n FROM _islet_webhook_outbox")).toBe(0);
    expect((await deliveryLog(team, hook.id)).map((d) => [d.status, d.attempts])).toEqual([
      ["pending", 0],
      ["pending", 0],
      ["pending", 0],
    ]);
    // Within the grace period a pending delivery may still have its message on the way.
    await runCron(Date.now());
    expect(await receivedBy(hook.name)).toEqual([]);
    await runCron(Date.now() + SWEEP_GRACE_MS + 1000);
    const received = events(await waitFor(hook.name, 3));
    expect(received.map((e) => e.title)).toEqual(["x", "y", "z"]);
    const log = await deliveryLog(team, hook.id);
    expect(log.map((d) => [d.status, d.attempts, d.lastStatus])).toEqual([
      ["succeeded", 1, 200],
      ["succeeded", 1, 200],
      ["succeeded", 1, 200],
    ]);
  });

  it("re-sends a delivery whose consumer failed and whose message the queue gave up on", async () => {
    const { team, hook } = await setUp();
    const sent: { body: { workspaceId: string; deliveryId: string } }[] = [];
    const recording = {
      send: async (body: never) => void sent.push({ body }),
      sendBatch: async (messages: never[]) => void sent.push(...messages),
    };
    const owner = ownerOn(team, recording);
    await insertRows({
      ctx: owner.ctx,
      input: { workspaceId: team.workspace.id, table: "todos", rows: [{ title: "q" }] },
    });
    await owner.settled();
    expect(sent).toHaveLength(1);
    // The consumer runs on a Worker whose keyring cannot open the endpoint's secret: it fails.
    const broken = {
      ...env,
      ISLET_KEYRING: JSON.stringify({
        active: 1,
        keys: { "1": bytesToBase64(crypto.getRandomValues(new Uint8Array(32))) },
      }),
    };
    const batch = createMessageBatch("islet-webhooks", [
      { id: "m1", timestamp: Date.now(), attempts: 1, body: sent[0]?.body },
    ]);
    const ctx = createExecutionContext();
    await worker.queue?.(batch, broken as Bindings, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["m1"]);
    expect((await deliveryLog(team, hook.id)).map((d) => [d.status, d.attempts])).toEqual([["pending", 0]]);
    // The queue's retries are spent (the message went to the dead-letter queue): the sweep sends it.
    await runCron(Date.now() + SWEEP_GRACE_MS + 1000);
    const received = events(await waitFor(hook.name, 1));
    expect(received.map((e) => [e.type, e.title, e.id])).toEqual([
      ["row.created", "q", sent[0]?.body.deliveryId],
    ]);
    expect((await deliveryLog(team, hook.id)).map((d) => [d.status, d.attempts])).toEqual([["succeeded", 1]]);
  });

  it("makes one delivery per event when the dispatches of a burst of writes race each other", async () => {
    const { team, hook, db } = await setUp();
    const titles = Array.from({ length: 8 }, (_, i) => `burst-${i}`);
    const answers = await Promise.all(
      titles.map((title) =>
        call("POST", `/v1/workspaces/${team.workspace.id}/tables/todos/rows`, {
          token: team.owner.token,
          body: { title },
        }),
      ),
    );
    expect(answers.map((r) => r.status)).toEqual(titles.map(() => 201));
    const received = events(await waitFor(hook.name, titles.length));
    expect(received.map((e) => e.title).sort()).toEqual([...titles].sort());
    expect(new Set(received.map((e) => e.id)).size).toBe(titles.length);
    expect(await count(db, "SELECT count(*) AS n FROM _islet_webhook_deliveries")).toBe(titles.length);
    // Nothing is left for the sweep to send again.
    await runCron(Date.now() + SWEEP_GRACE_MS + 1000);
    expect(await receivedBy(hook.name)).toHaveLength(titles.length);
  });

  it("retries an endpoint answering 500 then 200: every event arrives, under one webhook-id each", async () => {
    const { team, hook } = await setUp(1);
    for (const title of ["first", "second"]) {
      const res = await call("POST", `/v1/workspaces/${team.workspace.id}/tables/todos/rows`, {
        token: team.owner.token,
        body: { title },
      });
      expect(res.status).toBe(201);
    }
    const received = events(await waitFor(hook.name, 3));
    expect(received.map((e) => e.status)).toEqual([500, 200, 200]);
    // At least once: each event got a 200, and the retried one kept its webhook-id.
    const ok = received.filter((e) => e.status === 200);
    expect(ok.map((e) => e.title).sort()).toEqual(["first", "second"]);
    expect(received.filter((e) => e.id === received[0]?.id)).toHaveLength(2);
    const log = await deliveryLog(team, hook.id);
    expect(log.map((d) => d.status)).toEqual(["succeeded", "succeeded"]);
    expect(log.map((d) => d.attempts).sort()).toEqual([1, 2]);
  });
});
