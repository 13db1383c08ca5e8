import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { validator } from "hono/validator";
import { describe, expect, it } from "vitest";
import { envelope, send } from "../../test/edge";
import type { AppEnv } from "../http/env";
import { DeadlineExceeded } from "../lib/deadline";
import { ApiError } from "../lib/errors";
import { notFoundHandler, onError } from "./errors";
import { requestId } from "./request-id";

function app() {
  const app = new Hono<AppEnv>();
  app.onError(onError);
  app.use("*", requestId);
  app.get("/limited", () => {
    throw new ApiError("rate_limited", "Slow down", {
      headers: { "Retry-After": "7" },
      details: { rule: "r" },
    });
  });
  app.get("/bug", () => {
    throw new Error("no such column: password_hash in SELECT * FROM users");
  });
  app.get("/outage", () => {
    throw new TypeError("fetch failed");
  });
  app.get("/slow", () => {
    throw new DeadlineExceeded("database", 5000);
  });
  app.get("/http/:status", (c) => {
    throw new HTTPException(Number(c.req.param("status")) as 400);
  });
  app.post(
    "/things",
    validator("json", (v) => v),
    (c) => c.json(c.req.valid("json")),
  );
  app.get("/things/:id", (c) => c.json({}));
  app.delete("/things/:id", (c) => c.json({}));
  app.notFound(notFoundHandler(app));
  return app;
}

describe("onError", () => {
  it("renders an ApiError as the envelope, with its status, details and headers", async () => {
    const res = await send(app(), "/limited");
    expect(res.status).toBe(429);
    expect(res.headers.get("Retry-After")).toBe("7");
    const body = (await res.clone().json()) as { error: { details: unknown } };
    expect(body.error.details).toEqual({ rule: "r" });
    expect(await envelope(res)).toEqual({
      code: "rate_limited",
      message: "Slow down",
      requestId: res.headers.get("X-Request-Id"),
    });
  });

  it("answers an unexpected error with a generic 500 that reveals nothing", async () => {
    const res = await send(app(), "/bug");
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).toContain('"code":"internal_error"');
    expect(text).not.toMatch(/password_hash|SELECT|users/);
  });

  it("turns an unreachable backend or a passed deadline into 503 with Retry-After", async () => {
    for (const path of ["/outage", "/slow"]) {
      const res = await send(app(), path);
      expect([res.status, res.headers.get("Retry-After"), (await envelope(res)).code]).toEqual([
        503,
        "1",
        "unavailable",
      ]);
    }
  });

  it("maps Hono's own refusals to stable codes", async () => {
    const codes: Record<string, string> = {};
    for (const status of [400, 401, 403, 413, 415]) {
      const res = await send(app(), `/http/${status}`);
      expect(res.status).toBe(status);
      codes[status] = (await envelope(res)).code;
    }
    expect(codes).toEqual({
      400: "invalid_request",
      401: "unauthorized",
      403: "forbidden",
      413: "payload_too_large",
      415: "unsupported_media_type",
    });
    const broken = await send(app(), "/things", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: '{"name":',
    });
    expect([broken.status, (await envelope(broken)).code]).toEqual([400, "invalid_json"]);
  });
});

describe("notFoundHandler", () => {
  it("answers an unknown path 404 not_found", async () => {
    const res = await send(app(), "/nothing/here");
    expect([res.status, (await envelope(res)).code]).toEqual([404, "not_found"]);
  });

  it("answers a known path with another method 405, naming the allowed ones (RFC 9110 §15.5.6)", async () => {
    const res = await send(app(), "/things/42", { method: "PUT" });
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")?.split(", ").sort()).toEqual(["DELETE", "GET"]);
    expect((await envelope(res)).code).toBe("method_not_allowed");
  });
});
