import { and, desc, eq, gt, isNull } from "drizzle-orm";
import type { z } from "zod";
import { controlDb } from "../../db/control/client";
import { refreshTokens, sessions, users } from "../../db/control/schema";
import { randomToken, sha256Hex } from "../../lib/crypto";
import { ApiError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { ACCESS_TOKEN_TTL_SECONDS, signAccessToken } from "../../lib/jwt";
import type { ServiceContext } from "../core/context";
import { revokeCredential, revokeIssuedBefore } from "../gatekeeper";
import { onCredentialRevoked } from "../keys/revocation";
import type { SessionInfo } from "./schemas";
import { securityEvent } from "./security-log";

/** Refresh tokens (and so sessions, sliding) live 30 days from their last use. */
export const REFRESH_TTL_MS = 30 * 86_400_000;

/** What a sign-in or a refresh hands the client. Tokens appear here once and are never stored. */
export interface IssuedSession {
  sessionId: string;
  userId: string;
  accessToken: string;
  accessExpiresAt: number;
  refreshToken: string;
  refreshExpiresAt: number;
  /** Double-submit CSRF token for browser sessions (the `__Host-islet_csrf` cookie). */
  csrfToken: string;
}

async function issue(
  ctx: ServiceContext,
  userId: string,
  sessionId: string,
  refreshToken: string,
  now: number,
  refreshExpiresAt = now + REFRESH_TTL_MS,
) {
  return {
    sessionId,
    userId,
    accessToken: await signAccessToken(ctx.config, userId, sessionId),
    accessExpiresAt: now + ACCESS_TOKEN_TTL_SECONDS * 1000,
    refreshToken,
    refreshExpiresAt,
    csrfToken: randomToken(),
  } satisfies IssuedSession;
}

/** A session's absolute lifetime: refreshing slides its expiry, but never past this from sign-in. */
export const SESSION_MAX_AGE_MS = 30 * 86_400_000;

/**
 * Starts a session: a session row, its first refresh token (hashed) and an access token. A
 * password sign-in passes the password generation it verified (`passwordChangedAt` as read): if
 * the password changed meanwhile ("sign out everywhere" ran between the check and now), no
 * session is created, so a racing login cannot outlive the change.
 */
export async function startSession(
  ctx: ServiceContext,
  userId: string,
  verified?: { passwordChangedAt: number | null },
): Promise<IssuedSession> {
  const db = controlDb(ctx.config);
  const now = Date.now();
  const sessionId = newId("ses");
  const refreshToken = randomToken();
  const hash = await sha256Hex(refreshToken);
  const expiresAt = now + REFRESH_TTL_MS;
  // Both rows, only while the user is live and (for a password sign-in) its password unchanged.
  const guard = `EXISTS (SELECT 1 FROM users WHERE id = ? AND deleted_at IS NULL
                  AND (? = 0 OR password_changed_at IS ?))`;
  const guardArgs = [userId, verified ? 1 : 0, verified?.passwordChangedAt ?? null];
  const [created] = await db.$client.batch(
    [
      {
        sql: `INSERT INTO sessions (id, user_id, refresh_hash, created_at, last_used_at, expires_at, ip, user_agent)
              SELECT ?, ?, ?, ?, ?, ?, ?, ? WHERE ${guard}`,
        args: [sessionId, userId, hash, now, now, expiresAt, ctx.ip, ctx.userAgent, ...guardArgs],
      },
      {
        sql: `INSERT INTO refresh_tokens (hash, session_id, created_at, expires_at)
              SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM sessions WHERE id = ?)`,
        args: [hash, sessionId, now, expiresAt, sessionId],
      },
    ],
    "write",
  );
  if (created?.rowsAffected !== 1) {
    throw new ApiError("unauthorized", "The password changed while signing in; sign in again");
  }
  return issue(ctx, userId, sessionId, refreshToken, now);
}

const invalidRefresh = () => new ApiError("invalid_token", "Refresh token is invalid or no longer valid");

/**
 * Exchanges a refresh token for a new pair (rotation). A token that was already rotated is
 * reuse — someone holds a copy — and revokes the whole session (RFC 6819 §5.2.2.3,
 * OAuth 2.1 §4.3.1). The swap is one guarded write batch: of two requests racing with the
 * same token exactly one wins, and the other is treated as reuse.
 */
export async function rotateRefreshToken(ctx: ServiceContext, refreshToken: string): Promise<IssuedSession> {
  const db = controlDb(ctx.config);
  const now = Date.now();
  const oldHash = await sha256Hex(refreshToken);
  const [found] = await db
    .select({
      sessionId: refreshTokens.sessionId,
      rotatedAt: refreshTokens.rotatedAt,
      expiresAt: refreshTokens.expiresAt,
      userId: sessions.userId,
      revokedAt: sessions.revokedAt,
      createdAt: sessions.createdAt,
      deletedAt: users.deletedAt,
    })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(refreshTokens.hash, oldHash));
  if (!found || found.revokedAt !== null || found.deletedAt !== null) throw invalidRefresh();
  if (found.rotatedAt !== null) {
    await revokeReusedFamily(ctx, found.userId, found.sessionId);
    throw invalidRefresh();
  }
  const endOfLife = found.createdAt + SESSION_MAX_AGE_MS;
  if (found.expiresAt <= now || endOfLife <= now) {
    throw new ApiError("token_expired", "Refresh token has expired; sign in again");
  }

  const next = randomToken();
  const newHash = await sha256Hex(next);
  const expiresAt = Math.min(now + REFRESH_TTL_MS, endOfLife);
  const [inserted] = await db.$client.batch(
    [
      {
        // Only while the presented token is still the session's current one.
        sql: `INSERT INTO refresh_tokens (hash, session_id, created_at, expires_at)
              SELECT ?, r.session_id, ?, ? FROM refresh_tokens r JOIN sessions s ON s.id = r.session_id
              WHERE r.hash = ? AND r.rotated_at IS NULL AND s.revoked_at IS NULL`,
        args: [newHash, now, expiresAt, oldHash],
      },
      {
        sql: `UPDATE sessions SET refresh_hash = ?, last_used_at = ?, expires_at = ?, ip = ?, user_agent = ?
              WHERE id = ? AND refresh_hash = ? AND revoked_at IS NULL
                AND EXISTS (SELECT 1 FROM refresh_tokens WHERE hash = ?)`,
        args: [newHash, now, expiresAt, ctx.ip, ctx.userAgent, found.sessionId, oldHash, newHash],
      },
      {
        sql: "UPDATE refresh_tokens SET rotated_at = ? WHERE hash = ? AND rotated_at IS NULL",
        args: [now, oldHash],
      },
    ],
    "write",
  );
  if (inserted?.rowsAffected !== 1) {
    await revokeReusedFamily(ctx, found.userId, found.sessionId);
    throw invalidRefresh();
  }
  return issue(ctx, found.userId, found.sessionId, next, now, expiresAt);
}

/** The session a refresh token belongs to (current or already rotated), for logout. */
export async function sessionOfRefreshToken(
  ctx: ServiceContext,
  refreshToken: string,
): Promise<{ sessionId: string; userId: string } | undefined> {
  const [row] = await controlDb(ctx.config)
    .select({ sessionId: refreshTokens.sessionId, userId: sessions.userId })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .where(eq(refreshTokens.hash, await sha256Hex(refreshToken)));
  return row;
}

async function revokeReusedFamily(ctx: ServiceContext, userId: string, sessionId: string): Promise<void> {
  await revokeSessions(ctx, userId, { sessionId });
  await securityEvent(ctx, "session.refresh_reuse", { subjectUserId: userId, details: { sessionId } });
}

/**
 * Revokes one session (a device) or every session of a user ("sign out everywhere"): marks the
 * rows revoked, then tells the Gatekeeper so access tokens already out there are refused on
 * their next request — by session id, and for "everywhere" also by issue time. Returns the ids
 * revoked now.
 */
export async function revokeSessions(
  ctx: ServiceContext,
  userId: string,
  which: { sessionId: string } | { all: true },
): Promise<string[]> {
  const db = controlDb(ctx.config);
  const at = Date.now();
  const scope =
    "sessionId" in which
      ? and(eq(sessions.userId, userId), eq(sessions.id, which.sessionId))
      : eq(sessions.userId, userId);
  const revoked = await db
    .update(sessions)
    .set({ revokedAt: at })
    .where(and(scope, isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  const ids = revoked.map((r) => r.id);
  // Recorded even when the row was already revoked: a retry after a failed Gatekeeper call
  // must still reach the Gatekeeper.
  if ("sessionId" in which && ids.length === 0) ids.push(which.sessionId);
  const principal = `user:${userId}`;
  // Access tokens carry `iat` in whole seconds, so the line is drawn at the start of this
  // second: a token issued right after this call (the caller's fresh session) stays valid.
  // Tokens of the revoked sessions issued earlier in this same second are refused by their
  // session id below.
  if ("all" in which) await revokeIssuedBefore(ctx.env, principal, Math.floor(at / 1000) * 1000);
  await Promise.all(ids.map((id) => revokeCredential(ctx.env, principal, id, { at })));
  await Promise.all(ids.map((id) => onCredentialRevoked(ctx, { kind: "session", id, userId })));
  return ids;
}

export type SessionView = z.infer<typeof SessionInfo>;

/** The user's live sessions, most recently used first. */
export async function listSessions(
  ctx: ServiceContext,
  userId: string,
  currentId: string,
): Promise<SessionView[]> {
  const rows = await controlDb(ctx.config)
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, Date.now())))
    .orderBy(desc(sessions.lastUsedAt))
    .limit(100);
  return rows.map((r) => ({
    id: r.id,
    createdAt: r.createdAt,
    lastUsedAt: r.lastUsedAt,
    expiresAt: r.expiresAt,
    ip: r.ip,
    userAgent: r.userAgent,
    current: r.id === currentId,
  }));
}

/** A session id that belongs to this user, alive or not (404 otherwise: no probing of ids). */
export async function ownedSession(ctx: ServiceContext, userId: string, sessionId: string): Promise<void> {
  const [row] = await controlDb(ctx.config)
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId)));
  if (!row) throw new ApiError("not_found", "Session not found");
}
