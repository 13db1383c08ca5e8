import { z } from "zod";
import { REGIONS } from "../../lib/tenancy";
import { epochMs, idOf } from "../core/schemas";

/** Addresses as RFC 5321 allows them (254 octets), compared case-insensitively. */
export const email = z.email().max(254);
/** The policy (12–256 characters, not breached) is the service's: too short is `weak_password`. */
export const newPassword = z.string().max(4096);
const password = z.string().min(1).max(4096);
/** Email tokens are 32 random bytes, hex. */
export const emailToken = z.string().regex(/^[0-9a-f]{64}$/, "must be the token from the email");
export const refreshToken = z.string().regex(/^[0-9a-f]{64}$/, "must be a refresh token");

export const signupInput = z.strictObject({
  email,
  password: newPassword,
  name: z.string().trim().min(1).max(100).optional(),
  /** Where the personal workspace's database lives; required unless joining by invitation. */
  region: z.enum(REGIONS).optional(),
  /**
   * The token of an invitation to the same address: the account joins that workspace instead of
   * getting a personal one, and starts verified when the invitation was mailed to the address.
   */
  invitationToken: z
    .string()
    .regex(/^[0-9a-f]{64}$/, "must be an invitation token")
    .optional(),
});
export type SignupInput = z.input<typeof signupInput>;
export const loginInput = z.strictObject({ email, password });
export const refreshBody = z.strictObject({ refreshToken: refreshToken.optional() });
export const refreshInput = z.strictObject({ refreshToken });
export const logoutInput = z.strictObject({ refreshToken: z.string().optional() });
export const sessionTarget = z.strictObject({ sessionId: idOf("session", "a session id") });
export const verifyEmailInput = z.strictObject({ token: emailToken });
export const resetRequestInput = z.strictObject({ email });
export const resetConfirmInput = z.strictObject({ token: emailToken, password: newPassword });
export const changePasswordInput = z.strictObject({ currentPassword: password, newPassword });

/** Same-site paths only (`/…`, not `//host` or `/\host`): no open redirect after sign-in. */
export const returnTo = z
  .string()
  .max(512)
  .regex(/^\/(?![/\\])[\x21-\x7e]*$/, "must be a path on this site")
  .default("/");
export const oidcProviderId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/);
export const oidcStartQuery = z.object({ returnTo, region: z.enum(REGIONS).optional() });
export const oidcStartInput = oidcStartQuery.extend({ provider: oidcProviderId });
export const oidcCallbackQuery = z.object({
  code: z.string().max(2048).optional(),
  state: z.string().max(256).optional(),
  error: z.string().max(256).optional(),
  /** RFC 9207 authorization-server issuer identifier, when the provider sends it. */
  iss: z.string().max(512).optional(),
});
export const oidcCallbackInput = oidcCallbackQuery.extend({
  provider: oidcProviderId,
  /** The `__Host-islet_oidc` cookie set by start. */
  cookieState: z.string().optional(),
});

export const User = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  emailVerified: z.boolean(),
  hasPassword: z.boolean(),
  createdAt: epochMs,
});
export const WorkspaceSummary = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  region: z.enum(REGIONS),
});
/** A session on the wire: bearer tokens for API clients, only expiries (and CSRF) for cookies. */
export const SessionTokens = z.object({
  id: z.string(),
  accessExpiresAt: epochMs,
  refreshExpiresAt: epochMs,
  tokenType: z.literal("Bearer").optional(),
  accessToken: z.string().optional(),
  refreshToken: z.string().optional(),
  /** Cookie sessions: echo it as X-CSRF-Token on state-changing requests. */
  csrfToken: z.string().optional(),
});
export const SessionInfo = z.object({
  id: z.string(),
  createdAt: epochMs,
  lastUsedAt: epochMs,
  expiresAt: epochMs,
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  current: z.boolean(),
});
export const CurrentSession = z.object({
  user: User,
  session: z.object({ id: z.string(), issuedAt: epochMs }),
  workspace: WorkspaceSummary.nullable(),
});
