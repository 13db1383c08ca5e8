import type { AccessClaims } from "../lib/jwt";
import type { Actor } from "../services/core/actor";

/**
 * The person an access token speaks for, as the request's actor: the same for a bearer token
 * (middleware/authenticate.ts) and the dashboard's session cookie (ui/session.ts).
 */
export const userActor = (claims: AccessClaims): Extract<Actor, { type: "user" }> => ({
  type: "user",
  userId: claims.sub,
  sessionId: claims.sid,
  issuedAt: claims.iat * 1000,
});
