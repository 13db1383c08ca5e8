// Account deletion (architecture §10, seed 003): the account stops working at once (marked deleted,
// sessions revoked), then everything tied to it goes, step by idempotent step, with progress
// recorded so that a failure midway is finished by the scheduled job. Workspaces the account
// alone owns are destroyed (database, control rows, Gatekeeper and hub state); shared ones are
// left to their other owners. The end is a signed certificate, returned and emailed.
import { and, eq, isNull, sql } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { accountDeletions, apiKeys, sessions, users, workspaces } from "../../db/control/schema";
import { sha256Hex } from "../../lib/crypto";
import { ApiError } from "../../lib/errors";
import { verifyPassword } from "../auth/argon2";
import { limitAccount, limitIp, noteAuthFailure } from "../auth/limits";
import { normalizePassword } from "../auth/policy";
import { revokeSessions } from "../auth/sessions";
import { userById } from "../auth/users";
import { requireOperator, requireUser } from "../core/access";
import { jobContext, parseInput, type ServiceArgs, type ServiceContext } from "../core/context";
import { mailerFor } from "../mail";
import { leaveWorkspace } from "../members";
import { recordSecurityEvent } from "../security-log/record";
import { SECURITY_LOG_RETENTION_MS } from "../security-log/retention";
import { destroyWorkspace } from "../workspaces/destroy";
import { signCertificate } from "./certificate";
import { type DeletionReport, deleteAccountInput } from "./schemas";

/** Accounts without a password prove themselves by a sign-in this recent. */
export const RECENT_SIGN_IN_MS = 10 * 60_000;
/** Backups of deleted workspaces are destroyed within this (architecture §10). */
export const BACKUP_PURGE_MS = 30 * 86_400_000;

const emptyReport = (): DeletionReport => ({
  workspacesDeleted: [],
  workspacesLeft: [],
  keysRevoked: 0,
  sessionsRevoked: 0,
  identitiesRemoved: 0,
});

/**
 * `DELETE /v1/account`: deletes the signed-in account. Needs the account's email typed as
 * `confirm`, and the password (or, for accounts without one, a sign-in in the last 10 minutes).
 */
export async function deleteAccount({
  ctx,
  input: raw,
}: ServiceArgs<{ confirm: string; password?: string }>): Promise<{
  deletedAt: number;
  report: DeletionReport;
  certificate: string;
}> {
  const input = parseInput(deleteAccountInput, raw);
  const { userId, sessionId } = requireUser(ctx);
  await limitIp(ctx, "password_change");
  const db = controlDb(ctx.config);
  const user = await userById(ctx, userId);
  if (!user) throw new ApiError("unauthorized", "Authentication required");
  await limitAccount(ctx, user.email, "password_change");
  if (input.confirm.trim().toLowerCase() !== user.email.toLowerCase()) {
    throw new ApiError(
      "confirmation_required",
      "Type the account's email address as `confirm` to delete it",
      {
        details: { field: "confirm" },
      },
    );
  }
  await reauthenticate(ctx, user, sessionId, input.password);
  const now = Date.now();
  // From here the account is gone for every purpose: nothing signs in, nothing refreshes.
  await db.batch([
    db
      .update(users)
      .set({ deletedAt: now })
      .where(and(eq(users.id, userId), isNull(users.deletedAt))),
    db
      .insert(accountDeletions)
      .values({ userId, email: user.email, requestedAt: now, report: JSON.stringify(emptyReport()) })
      .onConflictDoNothing(),
  ]);
  // Every session ends now, before any other step: a deletion that stops midway leaves an account
  // nobody can use (the Gatekeeper refuses its access tokens), never a half-active one.
  await revokeSessions(ctx, userId, { all: true });
  await recordSecurityEvent(ctx, { action: "account.delete_requested", subjectUserId: userId, details: {} });
  const result = await finishDeletion(ctx, userId);
  if (!result) {
    throw new ApiError(
      "unavailable",
      "The account is deleted; its data is still being removed and you will get the certificate by email",
      {
        headers: { "Retry-After": "60" },
      },
    );
  }
  return result;
}

async function reauthenticate(
  ctx: ServiceContext,
  user: typeof users.$inferSelect,
  sessionId: string,
  password: string | undefined,
): Promise<void> {
  if (user.passwordHash) {
    const check = password
      ? await verifyPassword(normalizePassword(password), user.passwordHash)
      : { ok: false };
    if (!check.ok) {
      await noteAuthFailure(ctx, user.email);
      throw new ApiError("unauthorized", "The password is incorrect", { details: { field: "password" } });
    }
    return;
  }
  const [session] = await controlDb(ctx.config)
    .select({ createdAt: sessions.createdAt })
    .from(sessions)
    .where(and(eq(sessions.id, sessionId), eq(sessions.userId, user.id)));
  if (!session || Date.now() - session.createdAt > RECENT_SIGN_IN_MS) {
    throw new ApiError("forbidden", "Sign in again (within the last 10 minutes) to delete this account", {
      details: { reason: "recent_sign_in_required" },
    });
  }
}

/**
 * Runs (or resumes) a requested deletion to its end. Each step is idempotent and the report is
 * saved after each, so a retry picks up where a failure stopped. Returns undefined when a step
 * failed (recorded; the scheduled job retries).
 */
export async function finishDeletion(
  ctx: ServiceContext,
  userId: string,
): Promise<{ deletedAt: number; report: DeletionReport; certificate: string } | undefined> {
  const db = controlDb(ctx.config);
  const [row] = await db.select().from(accountDeletions).where(eq(accountDeletions.userId, userId));
  if (!row) throw new ApiError("not_found", "No deletion was requested for this account");
  const report: DeletionReport = { ...emptyReport(), ...(JSON.parse(row.report) as Partial<DeletionReport>) };
  const save = () =>
    db
      .update(accountDeletions)
      .set({ report: JSON.stringify(report) })
      .where(eq(accountDeletions.userId, userId));
  // The steps act as the account itself (its own memberships), whoever runs them.
  const self: ServiceContext = {
    ...ctx,
    actor: { type: "user", userId, sessionId: "ses_deletion", issuedAt: row.requestedAt },
  };
  try {
    await db
      .update(accountDeletions)
      .set({ attempts: sql`${accountDeletions.attempts} + 1` })
      .where(eq(accountDeletions.userId, userId));
    const [{ live = 0 } = {}] = await db
      .select({ live: sql<number>`count(*)` })
      .from(apiKeys)
      .where(and(eq(apiKeys.createdBy, userId), isNull(apiKeys.revokedAt)));
    report.keysRevoked += Number(live);

    // Workspaces: destroyed where the account is the only owner, left where others own it too.
    const owned = await db.$client.execute({
      sql: `SELECT m.workspace_id AS id, m.role AS role,
                   (SELECT COUNT(*) FROM memberships o WHERE o.workspace_id = m.workspace_id AND o.role = 'owner') AS owners
            FROM memberships m WHERE m.user_id = ?`,
      args: [userId],
    });
    for (const membership of owned.rows) {
      const id = String(membership.id);
      if (membership.role === "owner" && Number(membership.owners) === 1) {
        const [workspace] = await db.select().from(workspaces).where(eq(workspaces.id, id));
        if (workspace) {
          await destroyWorkspace(self, workspace, { reason: "account deleted" });
          report.workspacesDeleted.push({ id, slug: workspace.slug });
        }
      } else {
        await leaveWorkspace({ ctx: self, input: { workspaceId: id } });
        report.workspacesLeft.push(id);
      }
      await save();
    }

    report.sessionsRevoked += (await revokeSessions(self, userId, { all: true })).length;
    const identities = await db.$client.execute({
      sql: "DELETE FROM user_identities WHERE user_id = ?",
      args: [userId],
    });
    report.identitiesRemoved += identities.rowsAffected;
    await db.$client.batch(
      [
        { sql: "DELETE FROM email_tokens WHERE user_id = ?", args: [userId] },
        { sql: "DELETE FROM sessions WHERE user_id = ?", args: [userId] },
        // The tombstone: an id the security log's retention is counted from, nothing personal.
        {
          sql: `UPDATE users SET email = ?, name = NULL, password_hash = NULL, password_changed_at = NULL,
                  email_verified_at = NULL WHERE id = ?`,
          args: [`deleted+${userId}@deleted.invalid`, userId],
        },
      ],
      "write",
    );
    await save();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    ctx.logger.error("account deletion stopped; the scheduled job will resume it", {
      userId,
      error: message,
    });
    await db
      .update(accountDeletions)
      .set({ lastError: message.slice(0, 500), report: JSON.stringify(report) })
      .where(eq(accountDeletions.userId, userId));
    return undefined;
  }

  const completedAt = Date.now();
  const certificate = await signCertificate(ctx.config, userId, {
    deletion: {
      requestedAt: row.requestedAt,
      completedAt,
      emailSha256: await sha256Hex(row.email.toLowerCase()),
      ...report,
    },
    retained: [
      {
        what: "platform security log entries about this account",
        until: completedAt + SECURITY_LOG_RETENTION_MS,
      },
      { what: "backups of the deleted workspaces' databases", until: completedAt + BACKUP_PURGE_MS },
    ],
  });
  if (row.email) {
    await mailerFor(ctx)
      .send({
        to: row.email,
        subject: "Your islet account is deleted",
        tag: "account_deleted",
        text: `Your islet account and the workspaces only you owned are deleted.\n\nYour deletion certificate (a signed JWS; check it at POST ${ctx.config.PUBLIC_URL}/v1/certificates/verify or against ${ctx.config.PUBLIC_URL}/.well-known/jwks.json):\n\n${certificate}\n`,
      })
      .catch((error: unknown) =>
        ctx.logger.error("deletion certificate mail failed", {
          userId,
          error: error instanceof Error ? error.message : String(error),
        }),
      );
  }
  await db
    .update(accountDeletions)
    .set({ completedAt, email: "", lastError: null, report: JSON.stringify(report) })
    .where(eq(accountDeletions.userId, userId));
  await recordSecurityEvent(ctx, {
    action: "account.deleted",
    subjectUserId: userId,
    details: { ...report, workspacesDeleted: report.workspacesDeleted.map((w) => w.id) },
  });
  return { deletedAt: row.requestedAt, report, certificate };
}

/** The scheduled job: finishes every deletion that stopped midway (oldest first, bounded). */
export async function resumeDeletions(ctx: ServiceContext, limit = 20): Promise<number> {
  const pending = await controlDb(ctx.config)
    .select({ userId: accountDeletions.userId })
    .from(accountDeletions)
    .where(isNull(accountDeletions.completedAt))
    .orderBy(accountDeletions.requestedAt)
    .limit(limit);
  let finished = 0;
  for (const { userId } of pending) if (await finishDeletion(ctx, userId)) finished++;
  return finished;
}

/** The scheduled handler's share: resume stopped deletions. */
export async function runScheduledDeletions(env: object): Promise<void> {
  const ctx = jobContext(env, "account.deletion");
  if (!ctx) return;
  try {
    const finished = await resumeDeletions(ctx);
    if (finished > 0) ctx.logger.info("stopped account deletions finished", { finished });
  } catch (error) {
    ctx.logger.error("resuming deletions failed", {
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/** An operator's view of one account deletion: its progress, never the address it goes to. */
export async function deletionStatus({ ctx, input }: ServiceArgs<{ userId: string }>): Promise<{
  userId: string;
  requestedAt: number;
  completedAt: number | null;
  attempts: number;
  lastError: string | null;
  report: Record<string, unknown>;
}> {
  requireOperator(ctx);
  const [row] = await controlDb(ctx.config)
    .select()
    .from(accountDeletions)
    .where(eq(accountDeletions.userId, input.userId));
  if (!row) throw new ApiError("not_found", "No deletion was requested for this account");
  const { email: _email, report, ...rest } = row;
  return { ...rest, report: JSON.parse(report) as Record<string, unknown> };
}
