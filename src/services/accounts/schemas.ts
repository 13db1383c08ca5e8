import { z } from "zod";
import type { WorkspaceNeed } from "../core/access";
import { epochMs, workspaceScoped } from "../core/schemas";

/**
 * Managing accounts is managing credentials: admins, or keys with `secrets:write`. Calling one uses
 * the credential without seeing it, as running a function does. Never a workspace's end users: an
 * app's users do not drive the workspace's upstream credentials.
 */
export const ACCOUNTS_NEEDS = {
  manage: { role: "admin", scope: "secrets:write", endUsers: false },
  use: { role: "member", scope: "functions:run", endUsers: false },
} as const satisfies Record<string, WorkspaceNeed>;

export { workspaceScoped } from "../core/schemas";

export const accountName = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,62}$/, "must be lowercase letters, digits, - and _");
/** RFC 9110 §5.1 token characters. */
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/, "must be an HTTP header name");
const headerValue = z.string().regex(/^[\t\x20-\x7e\x80-\xff]*$/, "must be a valid header value");

export const putAccountBody = z.strictObject({
  baseUrl: z.string().max(2048),
  authHeaderName: headerName,
  authHeaderValue: headerValue.min(1).max(8192),
});
export const accountTarget = workspaceScoped.extend({
  name: accountName.describe("The account's name, as list_accounts shows it"),
});
export const putAccountInput = accountTarget.extend(putAccountBody.shape);

export const ACCOUNT_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] as const;
export const accountFetchBody = z.strictObject({
  method: z.enum(ACCOUNT_METHODS).describe("The HTTP method"),
  /** Below the account's base URL: `/v1/things`. */
  path: z.string().min(1).max(2048).describe("The path below the account's base URL, e.g. `/v1/customers`"),
  query: z
    .record(z.string().max(256), z.string().max(4096))
    .optional()
    .describe('Query parameters by name, e.g. {"limit": "10"}'),
  headers: z
    .record(z.string().max(64), headerValue.max(8192))
    .optional()
    .describe("Extra request headers; the account's credential header is set by islet"),
  /** Sent as is (a JSON value is sent as JSON). */
  body: z
    .unknown()
    .optional()
    .describe("The request body: a string is sent as is, any other JSON value as JSON"),
});
export const accountFetchInput = accountTarget.extend(accountFetchBody.shape);

/** An API account as the API shows it: never the header's value. */
export const ApiAccount = z.object({
  name: z.string(),
  baseUrl: z.string(),
  authHeaderName: z.string(),
  last4: z.string(),
  /** Who set it up (or last replaced it): it stops when their authority in the workspace ends. */
  createdBy: z.string(),
  createdAt: epochMs,
  updatedAt: epochMs,
  enabled: z.boolean(),
  /** Why islet disabled it (its creator's authority ended); putting it again re-enables it. */
  disabledReason: z.string().nullable(),
});
export type ApiAccount = z.infer<typeof ApiAccount>;

export const AccountResponse = z.object({
  status: z.number().int(),
  headers: z.record(z.string(), z.string()),
  /** The body as text (UTF-8), or base64 when it is not text. */
  body: z.string(),
  encoding: z.enum(["utf8", "base64"]),
});
export type AccountResponse = z.infer<typeof AccountResponse>;
