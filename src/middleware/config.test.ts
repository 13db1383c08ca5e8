import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { envelope, send } from "../../test/edge";
import type { AppEnv } from "../http/env";
import { setLogSink } from "../lib/logger";
import { requireConfig } from "./config";
import { onError } from "./errors";
import { requestLogger } from "./logger";
import { requestId } from "./request-id";

let lines: { message: string; problems?: string[] }[] = [];
let restore: ReturnType<typeof setLogSink> | undefined;
beforeEach(() => {
  lines = [];
  restore = setLogSink((line) => lines.push(JSON.parse(line) as { message: string }));
});
afterEach(() => {
  if (restore) setLogSink(restore);
});

function app() {
  const app = new Hono<AppEnv>();
  app.onError(onError);
  app.use("*", requestId, requestLogger, requireConfig);
  app.get("/echo", (c) =>
    c.json({ publicUrl: c.var.config.PUBLIC_URL, maxBody: c.var.config.MAX_BODY_BYTES }),
  );
  return app;
}

const refusals = () => lines.filter((l) => l.message.startsWith("refusing to serve"));

describe("requireConfig", () => {
  it("hands the checked configuration to what follows", async () => {
    const res = await send(app(), "/echo");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ publicUrl: "http://127.0.0.1:8787", maxBody: 1048576 });
  });

  it("answers 503 misconfigured when production is configured for local use (architecture §2)", async () => {
    const res = await send(app(), "/echo", {}, { ENVIRONMENT: "production" });
    expect(res.status).toBe(503);
    expect((await envelope(res)).code).toBe("misconfigured");
    // The problems go to the log, by name; never to the client.
    expect(refusals()[0]?.problems?.join(" ")).toMatch(/ISLET_INSECURE_LOCAL/);
  });

  it("fails closed outside production too: a missing secret refuses every request", async () => {
    const res = await send(app(), "/echo", {}, { SESSION_JWT_SECRET: "" });
    expect(res.status).toBe(503);
    const { code, message } = await envelope(res);
    expect(code).toBe("misconfigured");
    expect(message).not.toMatch(/SESSION_JWT_SECRET/);
  });

  it("logs the problems once per deployment, not once per request", async () => {
    const broken = { ...env, ENVIRONMENT: "production" };
    for (let i = 0; i < 3; i++) expect((await app().request("/echo", {}, broken)).status).toBe(503);
    expect(refusals()).toHaveLength(1);
  });
});
