// Minimal apps for the middleware tests beside each middleware (src/middleware/*.test.ts): the
// steps nearly every middleware reads (the request's id, its service context, its logger and the
// checked config) and the error envelope, then whatever the test mounts. Called with
// `app.request()` under the real Worker bindings, with an execution context whose background
// work (audit and security-log writes) is awaited before the test looks.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import type { AppEnv } from "../src/http/env";
import { requireConfig } from "../src/middleware/config";
import { onError } from "../src/middleware/errors";
import { requestLogger } from "../src/middleware/logger";
import { requestId } from "../src/middleware/request-id";
import { serviceContext } from "../src/middleware/service-context";
import { testIp } from "./workspaces/fixtures";

/** requestId → serviceContext → logger → config, with errors rendered as the envelope (src/app.ts's order). */
export function edgeApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(onError);
  app.use("*", requestId, serviceContext, requestLogger, requireConfig);
  return app;
}

/**
 * `app.request(path, init)` with the Worker's bindings (plus `vars`) and an execution context.
 * Each call comes from a fresh address unless it names one, so per-address limits stay apart.
 */
export async function send(
  app: Hono<AppEnv>,
  path: string,
  init: RequestInit = {},
  vars: Record<string, string> = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has("CF-Connecting-IP")) headers.set("CF-Connecting-IP", testIp());
  const ctx = createExecutionContext();
  const res = await app.request(path, { ...init, headers }, { ...env, ...vars }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/** The error envelope's code and request id (throws if the body is not the envelope). */
export async function envelope(res: Response): Promise<{ code: string; requestId: string; message: string }> {
  const body = (await res.json()) as { error?: { code?: string; requestId?: string; message?: string } };
  if (!body.error?.code || !body.error.requestId)
    throw new Error(`not an error envelope: ${JSON.stringify(body)}`);
  return { code: body.error.code, requestId: body.error.requestId, message: body.error.message ?? "" };
}
