// The scheduled jobs where they run (issue 31): the Worker's `scheduled` handler itself takes the
// daily backups, sweeps the backups of deleted workspaces and collects tenant garbage; the daily
// backups are bounded per run and resume from a cursor in the control database; and a
// point-in-time backup is restorable only within the provider's window (Turso, through the local
// stand-in for its Platform API, which reports the organization's plan).
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/control/client";
import { jobCursors, workspaceBackups, workspaces } from "../../src/db/control/schema";
import worker from "../../src/index";
import { ApiError } from "../../src/lib/errors";
import { newId } from "../../src/lib/ids";
import { provisionerFor } from "../../src/provision";
import { recordBackup, restoreBackup, runDailyBackups, takeBackup } from "../../src/services/backups";
import { makeUser, makeWorkspace, testConfig, testContext } from "../helpers";

const DAY = 86_400_000;
const config = testConfig();
const control = () => controlDb(config);

async function runCron(cron: string, scheduledTime = Date.now()) {
  const ctx = createExecutionContext();
  await worker.scheduled?.(createScheduledController({ scheduledTime, cron }), env, ctx);
  await waitOnExecutionContext(ctx);
}

const backupsOf = (workspaceId: string) =>
  control().select().from(workspaceBackups).where(eq(workspaceBackups.workspaceId, workspaceId));

const activeIds = async () =>
  (await control().select({ id: workspaces.id }).from(workspaces).where(eq(workspaces.status, "active"))).map(
    (r) => r.id,
  );

describe("the scheduled handler", () => {
  it("backs up every active workspace over its runs, sweeps deleted workspaces' backups and collects orphan databases", {
    timeout: 120_000,
  }, async () => {
    const owner = await makeUser();
    const live = await makeWorkspace(owner);
    // A workspace whose deletion could not drop its backup: its row is gone, the backup is not.
    const gone = await makeWorkspace(owner);
    const orphanBackup = await recordBackup(testContext(), gone, "manual");
    await control().delete(workspaces).where(eq(workspaces.id, gone.id));
    // A tenant database no workspace names (a provisioning whose compensation failed).
    const provisioner = provisionerFor(config);
    const orphanDb = `ws-${newId("x").slice(-26)}`;
    await provisioner.create(orphanDb, "eu-west");
    expect(await provisioner.exists(orphanDb)).toBe(true);

    // A fresh day's cycle, continued by each trigger until it reaches the end of the fleet.
    await control().delete(jobCursors).where(eq(jobCursors.job, "backups.daily"));
    await runCron("17 3 * * *");
    for (let run = 0; run < 50; run++) {
      const [state] = await control().select().from(jobCursors).where(eq(jobCursors.job, "backups.daily"));
      if (state?.cursor === null) break;
      await runCron("*/5 * * * *");
    }
    const daily = (await backupsOf(live.id)).filter((b) => b.reason === "daily");
    expect(daily.length).toBeGreaterThanOrEqual(1);
    expect(daily[0]?.kind).toBe("snapshot");
    // The cycle is done for the day: another run takes no further backup of it.
    await runCron("*/5 * * * *");
    expect((await backupsOf(live.id)).filter((b) => b.reason === "daily")).toHaveLength(daily.length);

    expect((await backupsOf(gone.id)).map((b) => b.id)).not.toContain(orphanBackup.id);
    expect(await provisioner.exists(orphanDb)).toBe(false);
  });

  it("bounds the daily backups per run and resumes after the last workspace it reached", {
    timeout: 120_000,
  }, async () => {
    const owner = await makeUser();
    const mine = await makeWorkspace(owner);
    const job = `backups.test-${newId("j").slice(-8)}`;
    const fleet = await activeIds();
    // About ten runs, whatever the size of the fleet the other tests have made.
    const perRun = Math.max(3, Math.ceil(fleet.length / 10));
    const ctx = testContext();
    const now = Date.now();
    const covered: string[] = [];
    let runs = 0;
    for (; runs < 40; runs++) {
      const run = await runDailyBackups(ctx, { now, perRun, job });
      expect(run.due).toBe(true);
      expect(run.workspaceIds.length + run.failed).toBeLessThanOrEqual(perRun);
      covered.push(...run.workspaceIds);
      if (run.cycleDone) break;
      // Where it stopped is in the control database, for the next run (or Worker) to resume from.
      const [state] = await control().select().from(jobCursors).where(eq(jobCursors.job, job));
      expect(state?.cursor).toBe([...run.workspaceIds].sort().at(-1));
    }
    expect(runs + 1).toBeGreaterThanOrEqual(Math.ceil(fleet.length / perRun));
    const stillActive = new Set(await activeIds());
    expect(fleet.filter((id) => stillActive.has(id) && !covered.includes(id))).toEqual([]);
    expect(covered).toContain(mine.id);
    // Once a day: a run later the same day has nothing due, even the daily trigger's within the
    // hour; the next day's daily trigger begins a new cycle.
    expect((await runDailyBackups(ctx, { now: now + 60_000, perRun, job })).due).toBe(false);
    expect((await runDailyBackups(ctx, { now: now + 60_000, perRun, job, daily: true })).due).toBe(false);
    expect((await runDailyBackups(ctx, { now: now + 12 * 3_600_000, perRun, job })).due).toBe(false);
    const tomorrow = await runDailyBackups(ctx, { now: now + DAY, perRun, job, daily: true });
    expect(tomorrow.due).toBe(true);
    expect(tomorrow.workspaceIds.length).toBeGreaterThan(0);
  });
});

describe("point-in-time backups", () => {
  it("record the provider's window, and a restore outside it is refused before anything is made", async () => {
    const owner = await makeUser();
    const ws = await makeWorkspace(owner);
    const turso = testConfig({ PROVISIONER: "turso" });
    // The workspace's database at Turso (the local stand-in for its Platform API).
    await provisionerFor(turso).create(ws.dbName, ws.region);
    const operator = testContext({ type: "operator", operatorId: "op_scheduled_test" }, turso);
    const before = Date.now();
    const backup = await takeBackup({ ctx: operator, input: { workspaceId: ws.id } });
    expect(backup.kind).toBe("pitr");
    // The fixture's organization is on Scaler: 30 days of history.
    const window = Date.parse(backup.restorableUntil ?? "") - Date.parse(backup.createdAt);
    expect(window).toBe(30 * DAY);
    expect(Date.parse(backup.createdAt)).toBeGreaterThanOrEqual(before);

    // Standing in for 31 days passing: the point was taken 31 days ago, its window closed a day ago.
    await control()
      .update(workspaceBackups)
      .set({ createdAt: Date.now() - 31 * DAY, restorableUntil: Date.now() - DAY })
      .where(and(eq(workspaceBackups.id, backup.id)));
    const listed = await (await fetch(`${env.TURSO_API_URL}/__fixture/databases`)).json<{
      databases: string[];
    }>();
    const refused = await restoreBackup({
      ctx: operator,
      input: { workspaceId: ws.id, backupId: backup.id, reason: "restore past the window" },
    }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).code).toBe("gone");
    expect((refused as ApiError).message).toMatch(/outside the provider's point-in-time window/);
    // Nothing was made at the provider, and the workspace still names its database.
    const after = await (await fetch(`${env.TURSO_API_URL}/__fixture/databases`)).json<{
      databases: string[];
    }>();
    expect(after.databases.sort()).toEqual(listed.databases.sort());
    const [row] = await control().select().from(workspaces).where(eq(workspaces.id, ws.id));
    expect(row?.dbName).toBe(ws.dbName);
  });
});
