// The webhook delivery log is not kept forever (issue 31): settled deliveries — their payloads
// carry row copies, their excerpts the receiver's answers — go after 30 days, purged by the daily
// run of the scheduled handler, and everything goes with the workspace.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/control/client";
import { webhookWorkspaces } from "../../src/db/control/schema";
import { tenantDb } from "../../src/db/tenant/client";
import worker from "../../src/index";
import { DELIVERY_LOG_RETENTION_MS } from "../../src/services/webhooks/sweep";
import { call, testConfig } from "../helpers";
import { makeTeam } from "../workspaces/fixtures";
import { registerEndpoint, waitFor } from "./hooks";

const DAY = 86_400_000;

async function runCron(cron: string, scheduledTime = Date.now()) {
  const ctx = createExecutionContext();
  await worker.scheduled?.(createScheduledController({ scheduledTime, cron }), env, ctx);
  await waitOnExecutionContext(ctx);
}

async function teamWithDeliveries(titles: string[]) {
  const team = await makeTeam();
  const res = await call("POST", `/v1/workspaces/${team.workspace.id}/tables`, {
    token: team.owner.token,
    body: { name: "notes", columns: [{ name: "title", type: "text" }] },
  });
  expect(res.status).toBe(201);
  const hook = await registerEndpoint(team.admin.token, team.workspace.id, ["row.created"]);
  for (const title of titles) {
    const insert = await call("POST", `/v1/workspaces/${team.workspace.id}/tables/notes/rows`, {
      token: team.owner.token,
      body: { title },
    });
    expect(insert.status).toBe(201);
  }
  expect(await waitFor(hook.name, titles.length)).toHaveLength(titles.length);
  return { team, hook, db: await tenantDb(testConfig(), team.workspace) };
}

const logged = async (db: Awaited<ReturnType<typeof teamWithDeliveries>>["db"]) =>
  (
    await db.execute(
      "SELECT json_extract(payload, '$.data.row.title') AS title FROM _islet_webhook_deliveries ORDER BY event_seq",
    )
  ).rows.map((r) => r.title);

describe("webhook delivery log retention", () => {
  it("keeps 30 days: the daily run purges older deliveries, payloads and answers with them", async () => {
    expect(DELIVERY_LOG_RETENTION_MS).toBe(30 * DAY);
    const { db } = await teamWithDeliveries(["old", "older", "recent"]);
    expect(await logged(db)).toEqual(["old", "older", "recent"]);
    // Standing in for the passage of time: two deliveries were made 31 and 45 days ago.
    await db.execute({
      sql: `UPDATE _islet_webhook_deliveries SET created_at = CASE json_extract(payload, '$.data.row.title')
              WHEN 'old' THEN ? ELSE ? END WHERE json_extract(payload, '$.data.row.title') IN ('old', 'older')`,
      args: [Date.now() - 31 * DAY, Date.now() - 45 * DAY],
    });
    // The frequent sweep re-sends; only the daily run purges.
    await runCron("*/5 * * * *");
    expect(await logged(db)).toEqual(["old", "older", "recent"]);
    await runCron("17 3 * * *");
    expect(await logged(db)).toEqual(["recent"]);
  });

  it("goes with its workspace, and the sweep forgets the workspace", async () => {
    const { team, db } = await teamWithDeliveries(["kept until the workspace goes"]);
    const registry = () =>
      controlDb(testConfig())
        .select()
        .from(webhookWorkspaces)
        .where(eq(webhookWorkspaces.workspaceId, team.workspace.id));
    expect(await registry()).toHaveLength(1);
    const res = await call("DELETE", `/v1/workspaces/${team.workspace.id}?confirm=${team.workspace.slug}`, {
      token: team.owner.token,
    });
    expect(res.status).toBe(204);
    // The tenant database, delivery log included, is destroyed with the workspace.
    await expect(db.execute("SELECT count(*) FROM _islet_webhook_deliveries")).rejects.toThrow();
    await runCron("*/5 * * * *");
    expect(await registry()).toEqual([]);
  });
});
