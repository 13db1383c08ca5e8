import { createRoute, type Hook, OpenAPIHono, type RouteConfig, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { ApiError, ERROR_CODES, type ErrorCode } from "../lib/errors";
import { invalidInput, targetName, validate } from "../lib/validate";
import { principalsOf, type WorkspaceNeed } from "../services/core/access";
import type { ActorType } from "../services/core/actor";
import { idempotencyKey } from "../services/core/schemas";
import { ACCESS_COOKIE, CSRF_COOKIE } from "./cookies";
import type { AppEnv } from "./env";
import { type IdempotencyOptions, idempotent, REPLAYED_HEADER } from "./idempotency";

/**
 * islet's default hook for OpenAPIHono's own validators: failures keep the wire behaviour, 400
 * `invalid_request` naming the place and the field, never the value (it may be a secret).
 */
// biome-ignore lint/suspicious/noExplicitAny: the hook is shared by every route's input type.
export const defaultHook: Hook<any, AppEnv, any, void> = (result) => {
  if (!result.success) throw invalidInput(result.error, targetName(result.target));
};

type Validators = ReturnType<typeof validate>[];

/** The request validators of a route: islet's own (src/lib/validate.ts), from the route's schemas. */
function validatorsOf(route: RouteConfig): Validators {
  const request = route.request;
  const validators: Validators = [];
  if (request?.params) validators.push(validate("param", request.params));
  if (request?.query) validators.push(validate("query", request.query));
  if (request?.headers) validators.push(validate("header", request.headers as z.ZodType));
  const media = request?.body?.content?.["application/json"];
  const body = media && "schema" in media ? media.schema : undefined;
  if (body) {
    // An optional body that is absent reads as `{}`, as OpenAPIHono's own validator gives it.
    const schema = body as z.ZodType;
    validators.push(
      validate("json", request?.body?.required ? schema : z.preprocess((v) => v ?? {}, schema)),
    );
  }
  return validators;
}

/**
 * Every resource's sub-app: its routes describe themselves into `/openapi.json`. `.openapi()`
 * registers the route's description as OpenAPIHono does, but validates with islet's validator:
 * synchronous zod parsing with the exact wire behaviour (415 for a body that is not JSON,
 * `invalid_json`, `invalid_request` naming the field) — OpenAPIHono's stock validators
 * (`safeParseAsync` plus a media-type gate per route) cost ~10% per request (bench/openapi.ts).
 */
export function router() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook });
  const openapi: typeof app.openapi = ({ middleware, hide, ...route }, handler) => {
    if (!hide) app.openAPIRegistry.registerPath(route);
    const before = asArray(middleware);
    const path = route.path.replaceAll(/\/{(.+?)}/g, "/:$1");
    app.on([route.method.toUpperCase()], [path], ...before, ...validatorsOf(route), handler as never);
    return app as never;
  };
  app.openapi = openapi;
  return app;
}

/**
 * A described operation whose body the handler reads itself (a stream: export, import): it is in
 * `/openapi.json` as every route is, and mounted with the operation's own middleware (the
 * credential kinds it accepts, its idempotency) but without the router's body validators.
 */
export function streamingOperation(
  app: ReturnType<typeof router>,
  route: ReturnType<typeof operation>,
  handler: MiddlewareHandler<AppEnv>,
): void {
  const { middleware, ...described } = route;
  app.openAPIRegistry.registerPath(described);
  const path = route.path.replaceAll(/\/{(.+?)}/g, "/:$1");
  app.on([route.method.toUpperCase()], [path], ...asArray(middleware), handler as never);
}

/** The one error envelope (architecture §2); `code` is the closed list of `src/lib/errors.ts`. */
export const ErrorEnvelope = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      requestId: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi("Error");

/** Security schemes of `/openapi.json`; an operation names the ones it accepts. */
export const SECURITY_SCHEMES = {
  accessToken: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "A 15-minute access token from /v1/auth/login, /signup or /refresh.",
  },
  apiKey: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "isk_<keyId>_<secret>",
    description: "A workspace API key, confined to its workspace, scopes and tables.",
  },
  endUserToken: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "A token from an issuer the workspace registered (bring your own auth).",
  },
  sessionCookie: {
    type: "apiKey",
    in: "cookie",
    name: ACCESS_COOKIE,
    description: "Browser sessions (`?mode=cookie` at sign-in). State-changing requests also need csrfToken.",
  },
  csrfToken: {
    type: "apiKey",
    in: "header",
    name: "X-CSRF-Token",
    description: `Double-submit token: the value of the \`${CSRF_COOKIE}\` cookie.`,
  },
  operatorToken: {
    type: "apiKey",
    in: "header",
    name: "Authorization",
    description: "`Operator <token>`: islet operators only, under /v1/operator.",
  },
} as const;

type Requirement = Record<keyof typeof SECURITY_SCHEMES, string[]>;

/** The principal each scheme presents (the CSRF token goes with a session, it is not one). */
const SCHEME_PRINCIPALS: Record<keyof typeof SECURITY_SCHEMES, ActorType | null> = {
  accessToken: "user",
  sessionCookie: "user",
  csrfToken: null,
  apiKey: "apiKey",
  endUserToken: "endUser",
  operatorToken: "operator",
};

const PRINCIPAL_NAMES: Partial<Record<ActorType, string>> = {
  user: "a signed-in person's",
  apiKey: "API key",
  endUser: "end-user",
  operator: "operator",
};

/** The kinds of principal an operation's security requirements accept; undefined: anyone. */
function acceptedPrincipals(security: RouteConfig["security"]): Set<ActorType> | undefined {
  if (!security || security.length === 0) return undefined;
  const kinds = new Set<ActorType>();
  for (const requirement of security) {
    for (const scheme of Object.keys(requirement)) {
      const kind = SCHEME_PRINCIPALS[scheme as keyof typeof SECURITY_SCHEMES];
      if (kind) kinds.add(kind);
    }
  }
  return kinds;
}

/**
 * An operation accepts exactly the credential kinds its document names (issue: the document said
 * end users were not accepted on API accounts, and they were): any other kind of principal is
 * refused here, before its input is read, whatever the service behind would have said. No
 * credential is left to the service (401), as is an operation open to anyone.
 */
function acceptsOnly(kinds: Set<ActorType>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const actor = c.get("actor");
    if (actor && actor.type !== "anonymous" && !kinds.has(actor.type)) {
      throw new ApiError(
        "forbidden",
        `This operation does not accept ${PRINCIPAL_NAMES[actor.type] ?? actor.type} credentials`,
        { details: { accepted: [...kinds] } },
      );
    }
    await next();
  };
}
const user: Partial<Requirement>[] = [{ accessToken: [] }, { sessionCookie: [], csrfToken: [] }];

/** Who may call an operation, as OpenAPI security requirements. */
export const SECURITY = {
  /** No credential needed (sign-up, login, health). */
  none: [],
  /** A signed-in person. */
  user,
  /** A person, an API key of the workspace, or a workspace end user. */
  workspace: [...user, { apiKey: [] }, { endUserToken: [] }],
  /** A person or an API key of the workspace (not end users). */
  member: [...user, { apiKey: [] }],
  operator: [{ operatorToken: [] }],
} satisfies Record<string, Partial<Requirement>[]>;

/**
 * An operation's security requirements read from its verb's need (services/core/access
 * `principalsOf`): the document names exactly the credentials the verb can ever accept, and the
 * gate below refuses every other kind.
 */
export function securityOf(need: WorkspaceNeed): Partial<Requirement>[] {
  const principals = principalsOf(need);
  if (!principals.includes("apiKey")) return SECURITY.user;
  return principals.includes("endUser") ? SECURITY.workspace : SECURITY.member;
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "Invalid request (`invalid_request`, `invalid_json`, …)",
  401: "Missing, invalid, expired or revoked credential",
  402: "The workspace's plan does not include this",
  403: "The credential may not do this (role, scope, CSRF, unverified email), or a plan cap is reached (`plan_limit`)",
  404: "Not found, or not visible to this credential",
  409: "Conflict or missing confirmation",
  410: "Gone",
  413: "Request body too large",
  415: "Request body must be application/json",
  422: "User code failed in the sandbox",
  426: "This endpoint needs a WebSocket upgrade",
  429: "Rate limited (see Retry-After and RateLimit-* headers)",
  500: "Internal error (reveals nothing)",
  502: "An upstream service answered badly",
  503: "A backing service is unavailable, or the deployment is misconfigured",
  507: "The workspace's database is at its plan's size or row cap (`storage_limit`); reads and deletes still work",
};
export type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS & number;

/** Every operation can answer these: the pipeline (auth, limits, backends) runs before it. */
const PIPELINE_ERRORS = [400, 401, 403, 404, 413, 429, 500, 503];

export const json = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/**
 * A JSON request body. `example` is what /docs' "try it out" sends as it stands (issue 30: a
 * generated sample of a record is `{"additionalProp1": …}`, refused when executed); it is typed by
 * the schema, and scripts/openapi.test.ts validates each against the document's own schema.
 */
export const jsonBody = <S extends z.ZodType>(schema: S, required = true, example?: z.input<S>) => ({
  required,
  content: { "application/json": { schema, ...(example === undefined ? {} : { example }) } },
});

/**
 * An operation of `/openapi.json`: its own responses plus the error responses it can give, each
 * the one `Error` envelope. `errors` adds statuses beyond the pipeline's.
 */
export function operation<R extends RouteConfig>(
  config: R & {
    /** Required: generated clients and Swagger's deep links name operations by it (OpenAPI 3.1 §4.8.10). */
    operationId: string;
    errors?: ErrorStatus[];
    idempotency?: false | IdempotencyOptions;
  },
) {
  const { errors = [], idempotency, ...declared } = config;
  const kinds = acceptedPrincipals(declared.security);
  const gate = kinds ? [acceptsOnly(kinds)] : [];
  const route = { ...declared, middleware: [...gate, ...asArray(declared.middleware)] };
  // An operation open to anyone has no principal to keep a key for (sign-up, sign-in, …).
  const keyed = WRITES.has(route.method) && idempotency !== false && route.security?.length !== 0;
  const statuses = new Set([
    ...PIPELINE_ERRORS,
    ...errors,
    ...(route.request?.body ? [415] : []),
    ...(keyed ? [409, 422] : []),
  ]);
  const responses: RouteConfig["responses"] = { ...route.responses };
  for (const status of [...statuses].sort()) {
    responses[status] ??= json(ErrorEnvelope, ERROR_DESCRIPTIONS[status] ?? "Error");
  }
  if (!keyed) return createRoute({ ...(route as unknown as R), responses: responses as R["responses"] });
  return createRoute({
    ...(route as unknown as R),
    description: [route.description, IDEMPOTENCY_NOTE].filter(Boolean).join("\n\n"),
    request: {
      ...route.request,
      headers: ((route.request?.headers as z.ZodObject | undefined) ?? z.object({})).extend({
        "idempotency-key": IdempotencyKeyHeader,
      }),
    },
    responses: replayable(responses) as R["responses"],
    middleware: [...gate, idempotent(idempotency || {}), ...asArray(declared.middleware)],
  });
}

/** The methods that change state: each takes an Idempotency-Key unless it says otherwise. */
const WRITES = new Set(["post", "put", "patch", "delete"]);

const IdempotencyKeyHeader = named(idempotencyKey.optional(), "IdempotencyKey").describe(
  "Makes a retry safe: the first request with a key runs; a repeat with the same body gets its stored answer (24 h).",
);

const IDEMPOTENCY_NOTE =
  "Takes `Idempotency-Key`: a repeat with the same body gets the first answer again with `Idempotent-Replayed: true` (fields shown once, such as a token or secret, are left out); a different body is 422 `idempotency_mismatch`; a repeat while the first still runs is 409 `idempotency_in_progress`; one whose first request passed its deadline after its change is 409 `idempotency_committed`.";

/** Success responses also describe the replay header. */
function replayable(responses: RouteConfig["responses"]): RouteConfig["responses"] {
  const out: RouteConfig["responses"] = {};
  for (const [status, response] of Object.entries(responses)) {
    out[status] = /^2/.test(status)
      ? {
          ...response,
          headers: {
            ...(response as { headers?: object }).headers,
            [REPLAYED_HEADER]: {
              description: "`true` when this is the stored answer of an earlier request with the same key",
              schema: { type: "string", enum: ["true"] },
            },
          },
        }
      : response;
  }
  return out;
}

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** 204 responses carry no body. */
export const noContent = (description: string) => ({ description });

/**
 * Names a services' schema as a component of `/openapi.json`. zod 4 copies methods onto each
 * instance when it is made, so a schema built before `@hono/zod-openapi` was imported lacks
 * `.openapi()`; the prototype's method is called on it directly.
 */
export function named<S extends z.ZodType>(schema: S, id: string): S {
  const { openapi } = z.ZodType.prototype as unknown as { openapi: (this: S, id: string) => S };
  return openapi.call(schema, id);
}
