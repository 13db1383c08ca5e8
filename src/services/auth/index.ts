// Accounts and sessions (architecture §3). Routes call these; nothing else touches auth tables.
export { currentSession, listMySessions, logout, refreshSession, revokeMySession } from "./account";
export { login } from "./login";
export { finishOidc, startOidc } from "./oidc/flow";
export { oidcProblem, oidcProviderIds } from "./oidc/providers";
export { changePassword, confirmPasswordReset, requestPasswordReset } from "./password";
export { PASSWORD_MAX, PASSWORD_MIN } from "./policy";
export * from "./schemas";
export { type IssuedSession, REFRESH_TTL_MS, revokeSessions, startSession } from "./sessions";
export { signup } from "./signup";
export { resendVerification, verifyEmail } from "./verify";
