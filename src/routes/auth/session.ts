import type { IssuedSession } from "../../services/auth";

/** What the body carries: tokens for API clients, only expiry times for cookie sessions. */
export function sessionBody(session: IssuedSession, cookies: boolean) {
  const common = {
    id: session.sessionId,
    accessExpiresAt: session.accessExpiresAt,
    refreshExpiresAt: session.refreshExpiresAt,
  };
  // The CSRF token too: a dashboard on another origin cannot read the host-only cookie.
  if (cookies) return { ...common, csrfToken: session.csrfToken };
  return {
    ...common,
    tokenType: "Bearer" as const,
    accessToken: session.accessToken,
    refreshToken: session.refreshToken,
  };
}
