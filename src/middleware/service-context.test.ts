import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { send } from "../../test/edge";
import { makeUser } from "../../test/helpers";
import type { AppEnv } from "../http/env";
import { authenticate } from "./authenticate";
import { requireConfig } from "./config";
import { onError } from "./errors";
import { requestLogger } from "./logger";
import { requestId } from "./request-id";
import { serviceContext } from "./service-context";

/** What services would receive: the context is built before authentication fills in the actor. */
function app() {
  const app = new Hono<AppEnv>();
  app.onError(onError);
  app.use("*", requestId, serviceContext, requestLogger, requireConfig, authenticate);
  app.get("/echo", (c) => {
    const ctx = c.var.ctx;
    // The request's sandbox work shares one budget, however often services ask for it.
    const budget = ctx.sandboxBudget;
    return c.json({
      actor: ctx.actor,
      requestId: ctx.requestId,
      ip: ctx.ip,
      userAgent: ctx.userAgent,
      publicUrl: ctx.config.PUBLIC_URL,
      hasLogger: typeof ctx.logger.info === "function",
      oneBudget: budget === ctx.sandboxBudget,
    });
  });
  return app;
}

describe("serviceContext", () => {
  it("hands services the request as the pipeline resolved it: actor, id, address, config", async () => {
    const user = await makeUser();
    const res = await send(app(), "/echo", {
      headers: {
        Authorization: `Bearer ${user.token}`,
        "CF-Connecting-IP": "198.51.100.9",
        "User-Agent": "ua",
      },
    });
    expect(res.status).toBe(200);
    const seen = (await res.json()) as Record<string, unknown>;
    // Built before authenticate ran, yet it sees the authenticated user: it reads the request live.
    expect(seen.actor).toMatchObject({ type: "user", userId: user.id, sessionId: user.sessionId });
    expect(seen).toMatchObject({
      requestId: res.headers.get("X-Request-Id"),
      ip: "198.51.100.9",
      userAgent: "ua",
      publicUrl: "http://127.0.0.1:8787",
      hasLogger: true,
      oneBudget: true,
    });
  });

  it("caps the stored User-Agent and leaves an absent address null", async () => {
    const res = await send(app(), "/echo", { headers: { "User-Agent": "x".repeat(2000) } });
    const seen = (await res.json()) as { userAgent: string; actor: unknown };
    expect(seen.userAgent).toHaveLength(512);
    expect(seen.actor).toEqual({ type: "anonymous" });
    // Without CF-Connecting-IP (send() adds one), the address is unknown, not made up.
    const bare = await app().request("/echo", {}, env);
    expect(((await bare.json()) as { ip: string | null }).ip).toBeNull();
  });
});
