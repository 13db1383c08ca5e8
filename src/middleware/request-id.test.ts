import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { envelope, send } from "../../test/edge";
import type { AppEnv } from "../http/env";
import { ApiError } from "../lib/errors";
import { onError } from "./errors";
import { requestId } from "./request-id";

function app() {
  const app = new Hono<AppEnv>();
  app.onError(onError);
  app.use("*", requestId);
  app.get("/echo", (c) => c.json({ requestId: c.var.requestId, actor: c.var.actor }));
  app.get("/refuse", () => {
    throw new ApiError("forbidden", "no");
  });
  return app;
}

describe("requestId", () => {
  it("gives each request a fresh id, echoed as X-Request-Id, and starts it anonymous", async () => {
    const first = await send(app(), "/echo");
    const second = await send(app(), "/echo");
    const body = (await first.json()) as { requestId: string; actor: unknown };
    expect(body.requestId).toMatch(/^req_[0-9a-z]{26}$/);
    expect(first.headers.get("X-Request-Id")).toBe(body.requestId);
    expect(body.actor).toEqual({ type: "anonymous" });
    expect(second.headers.get("X-Request-Id")).toMatch(/^req_/);
    expect(second.headers.get("X-Request-Id")).not.toBe(body.requestId);
  });

  it("carries the same id on an error: the header and the envelope name one request", async () => {
    const res = await send(app(), "/refuse");
    expect(res.status).toBe(403);
    const { code, requestId: inBody } = await envelope(res);
    expect(code).toBe("forbidden");
    expect(inBody).toMatch(/^req_/);
    expect(res.headers.get("X-Request-Id")).toBe(inBody);
  });

  it("ignores an X-Request-Id the client sent: ids are the server's own", async () => {
    const res = await send(app(), "/echo", { headers: { "X-Request-Id": "req_chosen_by_client" } });
    expect(res.headers.get("X-Request-Id")).not.toBe("req_chosen_by_client");
    expect(res.headers.get("X-Request-Id")).toBe(((await res.json()) as { requestId: string }).requestId);
  });
});
