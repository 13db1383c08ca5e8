import type { z } from "zod";
import { type Bindings, type Config, parseConfig } from "../../config";
import type { WorkspaceRow } from "../../db/control/schema";
import { ApiError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { createLogger, type Logger } from "../../lib/logger";
import { parseOrThrow } from "../../lib/validate";
import { SandboxBudget } from "../../sandbox/budget";
import type { Actor } from "./actor";

/** Each context carries one sandbox budget; transports that build a context make it from here. */
export { SandboxBudget } from "../../sandbox/budget";

/** What services receive: the request's identity and configuration, never the Hono context. */
export interface ServiceContext {
  env: Bindings;
  config: Config;
  actor: Actor;
  requestId: string;
  ip: string | null;
  userAgent: string | null;
  logger: Logger;
  /** The addressed workspace when the route has one (see Variables.workspace). */
  workspace?: WorkspaceRow;
  /** Background work that must finish after the response (ExecutionContext.waitUntil). */
  waitUntil: (promise: Promise<unknown>) => void;
  /** The request's one sandbox CPU budget, shared by every formula and function it runs. */
  sandboxBudget: SandboxBudget;
}

/** How every service verb is called, from any transport: `verbEntity({ ctx, input })`. */
/** Marks a verb that takes no input: `ServiceArgs<NoInput>` is just `{ ctx }`. */
export type NoInput = { readonly __noInput: unique symbol };

export type ServiceArgs<I = NoInput> = [I] extends [NoInput]
  ? { ctx: ServiceContext }
  : { ctx: ServiceContext; input: I };

/**
 * A verb's own check of its input (STYLE "each verb parses its own input"): REST has validated
 * already, but MCP tools, socket messages and the CLI get exactly the same limits from here.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  return parseOrThrow(schema, input, "input");
}

/**
 * A service context for one message of a long-lived connection (a WebSocket held by the
 * TenantHub): the identity checked when it connected, a fresh request id and sandbox budget per
 * message, and the configuration parsed as every request's is (fail closed).
 */
export function connectionServiceContext(opts: {
  env: Bindings;
  actor: Actor;
  ip: string | null;
  userAgent: string | null;
  logger: Logger;
  waitUntil: (promise: Promise<unknown>) => void;
}): ServiceContext {
  const config = parseConfig(opts.env);
  if (!config.ok) throw new ApiError("misconfigured", "The service is not configured correctly");
  const requestId = newId("req");
  return {
    env: opts.env,
    config: config.config,
    actor: opts.actor,
    requestId,
    ip: opts.ip,
    userAgent: opts.userAgent,
    logger: opts.logger.child({ requestId }),
    waitUntil: opts.waitUntil,
    sandboxBudget: new SandboxBudget(),
  };
}

/**
 * The service context of one scheduled job (cron): a system actor, a fresh request id, the
 * Worker's config checked as for requests. Undefined (and logged) when the config is unsafe:
 * a job never runs on a configuration the Worker itself would refuse to serve with.
 */
export function jobContext(env: object, job: string): ServiceContext | undefined {
  const requestId = newId("req");
  const logger = createLogger({ requestId, job });
  const parsed = parseConfig(env);
  if (!parsed.ok) {
    logger.error("job skipped: configuration is unsafe or incomplete", { problems: parsed.problems });
    return undefined;
  }
  return {
    env: env as Bindings,
    config: parsed.config,
    actor: { type: "system", reason: job },
    requestId,
    ip: null,
    userAgent: null,
    logger,
    waitUntil: (promise) => void promise,
    sandboxBudget: new SandboxBudget(),
  };
}
