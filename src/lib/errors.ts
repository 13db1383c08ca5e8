import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * The closed list of error codes islet puts on the wire. Clients branch on these; they never
 * change meaning once shipped. The OpenAPI document lists them from here.
 */
export const ERROR_CODES = {
  invalid_request: 400,
  invalid_json: 400,
  weak_password: 400,
  breached_password: 400,
  outbound_refused: 400,
  sql_syntax: 400,
  unauthorized: 401,
  invalid_token: 401,
  token_expired: 401,
  credential_revoked: 401,
  payment_required: 402,
  /** A feature the workspace's plan does not include (audit export below Pro). */
  plan_required: 402,
  forbidden: 403,
  email_unverified: 403,
  insufficient_scope: 403,
  csrf_failed: 403,
  /** A count capped by the plan is reached: details `{ resource, limit, plan }`. */
  plan_limit: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  confirmation_required: 409,
  key_name_taken: 409,
  idempotency_in_progress: 409,
  idempotency_committed: 409,
  gone: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  upgrade_required: 426,
  sandbox_error: 422,
  statement_timeout: 422,
  idempotency_mismatch: 422,
  rate_limited: 429,
  internal_error: 500,
  upstream_error: 502,
  unavailable: 503,
  misconfigured: 503,
  /** The workspace's database is at its plan's size or row cap; reads and deletes still work. */
  storage_limit: 507,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorEnvelope {
  error: { code: ErrorCode; message: string; requestId: string; details?: unknown };
}

/** The envelope of `error` as every transport puts it on the wire (REST, MCP tool results). */
export const errorEnvelope = (error: ApiError, requestId: string): ErrorEnvelope => ({
  error: {
    code: error.code,
    message: error.message,
    requestId,
    ...(error.details === undefined ? {} : { details: error.details }),
  },
});

/** The one error type services and middleware throw; the error middleware renders it. */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: ErrorCode;
  readonly details: unknown;
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: unknown; status?: ContentfulStatusCode; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = options.status ?? ERROR_CODES[code];
    this.details = options.details;
    this.headers = options.headers ?? {};
  }
}

export const isApiError = (e: unknown): e is ApiError => e instanceof ApiError;
