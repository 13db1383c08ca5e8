import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../lib/errors";
import { idempotencyKey } from "../services/core/schemas";
import { type Answer, idempotencyPrincipal, type KeyedCall, runIdempotent } from "../services/idempotency";
import type { AppEnv } from "./env";

/** How a route's writes are keyed (./openapi.ts `operation({ idempotency })`). */
export interface IdempotencyOptions {
  /**
   * Where the record lives. Workspace routes keep it in the workspace's database with the change
   * (the default); `control` for the few whose change outlives that database or the caller's
   * membership (deleting the workspace, leaving it).
   */
  store?: "control";
  /** Top-level answer fields shown once (a token, a secret): a replay leaves them out. */
  shownOnce?: readonly string[];
}

export const REPLAYED_HEADER = "Idempotent-Replayed";

/**
 * `Idempotency-Key` on a state-changing route (services/idempotency): the first request with a
 * key runs, a repeat gets its stored answer with `Idempotent-Replayed: true`. Without the header
 * the route runs as ever. Runs after authentication, before the route's validators (the
 * fingerprint covers the body as sent).
 */
export const idempotent = (options: IdempotencyOptions = {}) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const key = c.req.header("Idempotency-Key");
    if (key === undefined) return next();
    if (!idempotencyKey.safeParse(key).success) {
      throw new ApiError("invalid_request", "Invalid Idempotency-Key header", {
        details: {
          issues: [{ path: "Idempotency-Key", message: "must be 1–255 printable ASCII characters" }],
        },
      });
    }
    const ctx = c.var.ctx;
    const principal = idempotencyPrincipal(ctx.actor);
    const workspace = c.get("workspace");
    // A caller outside the workspace has no records there to find: its request is refused below.
    if (!principal || (workspace && !options.store && !belongs(c))) return next();
    const url = new URL(c.req.url);
    const call: KeyedCall = {
      principal,
      key,
      operation: `${c.req.method} ${url.pathname}`,
      input: { query: [...url.searchParams].sort(), body: await bodyOf(c) },
      ...(workspace && !options.store ? { workspace: { row: workspace } } : {}),
      ...(options.shownOnce ? { shownOnce: options.shownOnce } : {}),
    };
    const { answer, replayed } = await runIdempotent(ctx, call, async () => {
      await next();
      return answerOf(c.res);
    });
    if (replayed) c.res = replay(answer);
  });

/** The principal may hold records in the addressed workspace: a member, or a credential of it. */
function belongs(c: Context<AppEnv>): boolean {
  const actor = c.var.ctx.actor;
  if (actor.type === "apiKey" || actor.type === "endUser")
    return actor.workspaceId === c.get("workspace")?.id;
  return c.get("workspaceMember") === true;
}

/** The body as the fingerprint sees it: JSON by its value (key order and spacing aside), else its text. */
async function bodyOf(c: Context<AppEnv>): Promise<unknown> {
  const text = await c.req.text();
  if (text === "") return null;
  try {
    return { json: JSON.parse(text) as unknown };
  } catch {
    return { text };
  }
}

async function answerOf(res: Response): Promise<Answer> {
  const contentType = res.headers.get("Content-Type");
  return {
    status: res.status,
    body: res.body ? await res.clone().text() : "",
    ...(contentType ? { contentType } : {}),
  };
}

function replay(answer: Answer): Response {
  const headers = new Headers({ [REPLAYED_HEADER]: "true" });
  if (answer.contentType) headers.set("Content-Type", answer.contentType);
  const empty = answer.status === 204 || answer.body === "";
  return new Response(empty ? null : answer.body, { status: answer.status, headers });
}
