// Platform security log retention: rows about an account go 90 days after that account is
// deleted; rows about no account go 90 days after they were written. Runs through the real scheduled handler.
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/control/client";
import { users } from "../../src/db/control/schema";
import worker from "../../src/index";
import { recordSecurityEvent, SECURITY_LOG_RETENTION_MS } from "../../src/services/security-log";
import { makeUser, makeWorkspace, testConfig, testContext } from "../helpers";
import { platformLog } from "./helpers";

const DAY = 86_400_000;

async function userWithEvents(events = 2) {
  const user = await makeUser();
  for (let i = 0; i < events; i++)
    await recordSecurityEvent(testContext(user.actor), {
      action: "auth.login",
      subjectUserId: user.id,
      details: { i },
    });
  return user;
}

const setDeletedAt = (userId: string, deletedAt: number | null) =>
  controlDb(testConfig()).update(users).set({ deletedAt }).where(eq(users.id, userId));

async function runCron(scheduledTime: number) {
  const ctx = createExecutionContext();
  const handler = worker.scheduled;
  if (!handler) throw new Error("the Worker exports no scheduled handler");
  await handler(createScheduledController({ scheduledTime, cron: "17 3 * * *" }), env, ctx);
  await waitOnExecutionContext(ctx);
}

describe("security log retention", () => {
  it("derives purge_after from the subject's deletion, before and after the events were written", async () => {
    const live = await userWithEvents();
    expect((await platformLog({ subjectUserId: live.id })).map((r) => r.purgeAfter)).toEqual([null, null]);

    const gone = await userWithEvents();
    const deletedAt = Date.now();
    await setDeletedAt(gone.id, deletedAt);
    // An event about the account written after its deletion (e.g. `account.delete` itself).
    await recordSecurityEvent(testContext(), {
      action: "account.delete",
      subjectUserId: gone.id,
      details: {},
    });
    const rows = await platformLog({ subjectUserId: gone.id });
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.purgeAfter === deletedAt + SECURITY_LOG_RETENTION_MS)).toBe(true);

    await setDeletedAt(gone.id, null); // restored: its events are kept again
    expect((await platformLog({ subjectUserId: gone.id })).every((r) => r.purgeAfter === null)).toBe(true);
  });

  it("the scheduled job removes only rows of accounts deleted 90 or more days ago", async () => {
    const now = Date.now();
    const expired = await userWithEvents(3);
    await setDeletedAt(expired.id, now - 91 * DAY);
    const recent = await userWithEvents();
    await setDeletedAt(recent.id, now - 89 * DAY);
    const live = await userWithEvents();
    const restored = await userWithEvents();
    await setDeletedAt(restored.id, now - 200 * DAY);
    await setDeletedAt(restored.id, null);
    // A row with a forged purge_after about a live account: the job re-checks users.deleted_at.
    const forged = await userWithEvents(1);
    await controlDb(testConfig()).$client.execute({
      sql: "UPDATE security_log SET purge_after = 1 WHERE subject_user_id = ?",
      args: [forged.id],
    });
    const anonymous = testContext({ type: "anonymous" });
    await recordSecurityEvent(anonymous, { action: "auth.login_failed", details: { known: false } });
    const noSubject = await platformLog({ requestId: anonymous.requestId });
    // A user-less event from 91 days ago (a flood of refused keys leaves such rows): it goes.
    const oldAnonymous = testContext({ type: "anonymous" });
    await recordSecurityEvent(oldAnonymous, { action: "auth.failed", details: {} });
    await controlDb(testConfig()).$client.execute({
      sql: "UPDATE security_log SET ts = ? WHERE request_id = ?",
      args: [now - 91 * DAY, oldAnonymous.requestId],
    });

    await runCron(now);

    expect(await platformLog({ subjectUserId: expired.id })).toEqual([]);
    expect(await platformLog({ subjectUserId: recent.id })).toHaveLength(2);
    expect(await platformLog({ subjectUserId: live.id })).toHaveLength(2);
    expect(await platformLog({ subjectUserId: restored.id })).toHaveLength(2);
    expect(await platformLog({ subjectUserId: forged.id })).toHaveLength(1);
    expect(await platformLog({ requestId: anonymous.requestId })).toEqual(noSubject);
    expect(await platformLog({ requestId: oldAnonymous.requestId })).toEqual([]);

    // The purge leaves a trace of what it removed.
    const trace = await controlDb(testConfig()).$client.execute({
      sql: "SELECT details FROM security_log WHERE action = 'security_log.purge' AND ts >= ? ORDER BY ts DESC",
      args: [now],
    });
    expect(trace.rows.length).toBeGreaterThan(0);
    expect(JSON.parse(String(trace.rows[0]?.details)).purged).toBeGreaterThanOrEqual(3);

    // Two days later the recently deleted account's rows are due as well.
    await runCron(now + 2 * DAY);
    expect(await platformLog({ subjectUserId: recent.id })).toEqual([]);
    expect(await platformLog({ subjectUserId: live.id })).toHaveLength(2);
  });
});

describe("expired sign-in state", () => {
  it("the scheduled job removes expired OIDC states and revokes invitations whose inviter left", async () => {
    const now = Date.now();
    const db = controlDb(testConfig()).$client;
    const stateHash = `state-${crypto.randomUUID()}`;
    await db.execute({
      sql: "INSERT INTO oidc_states (state_hash, provider, return_to, created_at, expires_at) VALUES (?, 'local', '/', ?, ?)",
      args: [stateHash, now - 20 * 60_000, now - 10 * 60_000],
    });
    const owner = await makeUser();
    const workspace = await makeWorkspace(owner);
    const gone = await makeUser();
    const invitationId = `inv_${crypto.randomUUID().replace(/-/g, "").slice(0, 26)}`;
    await db.execute({
      sql: `INSERT INTO invitations (id, workspace_id, email, role, token_hash, invited_by, created_at, expires_at)
            VALUES (?, ?, 'someone@example.test', 'member', ?, ?, ?, ?)`,
      args: [invitationId, workspace.id, crypto.randomUUID(), gone.id, now, now + 86_400_000],
    });
    await runCron(now);
    const state = await db.execute({
      sql: "SELECT 1 FROM oidc_states WHERE state_hash = ?",
      args: [stateHash],
    });
    expect(state.rows).toHaveLength(0);
    const invitation = await db.execute({
      sql: "SELECT revoked_at FROM invitations WHERE id = ?",
      args: [invitationId],
    });
    expect(invitation.rows[0]?.revoked_at).not.toBeNull();
  });
});
