import { ApiError } from "../../lib/errors";
import { requireUser } from "../core/access";
import { parseInput, type ServiceArgs } from "../core/context";
import { limitIp } from "./limits";
import { logoutInput, refreshInput, sessionTarget } from "./schemas";
import { securityEvent } from "./security-log";
import {
  type IssuedSession,
  listSessions,
  ownedSession,
  revokeSessions,
  rotateRefreshToken,
  type SessionView,
  sessionOfRefreshToken,
} from "./sessions";
import { personalWorkspace, type UserView, userById, userView } from "./users";

/** Exchanges a refresh token for a new access token and a new refresh token (rotation). */
export async function refreshSession({
  ctx,
  input: raw,
}: ServiceArgs<{ refreshToken: string }>): Promise<IssuedSession> {
  const input = parseInput(refreshInput, raw);
  await limitIp(ctx, "refresh");
  return rotateRefreshToken(ctx, input.refreshToken);
}

/** Who is signed in, on which session. */
export async function currentSession({ ctx }: ServiceArgs): Promise<{
  user: UserView;
  session: { id: string; issuedAt: number };
  workspace: NonNullable<Awaited<ReturnType<typeof personalWorkspace>>> | null;
}> {
  const { userId, sessionId } = requireUser(ctx);
  await limitIp(ctx, "session");
  const user = await userById(ctx, userId);
  if (!user) throw new ApiError("unauthorized", "Authentication required");
  const issuedAt = ctx.actor.type === "user" ? ctx.actor.issuedAt : 0;
  return {
    user: userView(user),
    session: { id: sessionId, issuedAt },
    workspace: (await personalWorkspace(ctx, userId)) ?? null,
  };
}

/**
 * Ends a session: the signed-in one, or the one a refresh token belongs to (a browser whose
 * access cookie already expired). Idempotent: logging out twice is not an error.
 */
export async function logout({ ctx, input: raw }: ServiceArgs<{ refreshToken?: string }>): Promise<void> {
  const input = parseInput(logoutInput, raw);
  await limitIp(ctx, "logout");
  if (ctx.actor.type === "user") {
    await revokeSessions(ctx, ctx.actor.userId, { sessionId: ctx.actor.sessionId });
    await securityEvent(ctx, "auth.logout", {
      subjectUserId: ctx.actor.userId,
      details: { sessionId: ctx.actor.sessionId },
    });
    return;
  }
  if (!input.refreshToken) throw new ApiError("unauthorized", "Authentication required");
  // A refresh token (current or rotated) identifies its session; an unknown one has nothing to end.
  const session = await sessionOfRefreshToken(ctx, input.refreshToken);
  if (!session) return;
  await revokeSessions(ctx, session.userId, { sessionId: session.sessionId });
  await securityEvent(ctx, "auth.logout", {
    subjectUserId: session.userId,
    details: { sessionId: session.sessionId },
  });
}

export async function listMySessions({ ctx }: ServiceArgs): Promise<SessionView[]> {
  const { userId, sessionId } = requireUser(ctx);
  await limitIp(ctx, "session");
  return listSessions(ctx, userId, sessionId);
}

/** Signs one device out: its refresh token stops working and its access token is refused at once. */
export async function revokeMySession({
  ctx,
  input: raw,
}: ServiceArgs<{ sessionId: string }>): Promise<void> {
  const input = parseInput(sessionTarget, raw);
  const { userId } = requireUser(ctx);
  await limitIp(ctx, "session");
  await ownedSession(ctx, userId, input.sessionId);
  await revokeSessions(ctx, userId, { sessionId: input.sessionId });
  await securityEvent(ctx, "session.revoke", {
    subjectUserId: userId,
    details: { sessionId: input.sessionId },
  });
}
