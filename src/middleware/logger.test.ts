import { Hono } from "hono";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { send } from "../../test/edge";
import type { AppEnv } from "../http/env";
import { ApiError } from "../lib/errors";
import { setLogSink } from "../lib/logger";
import { onError } from "./errors";
import { requestLogger } from "./logger";
import { requestId } from "./request-id";

let lines: Record<string, unknown>[] = [];
let restore: ReturnType<typeof setLogSink> | undefined;
beforeEach(() => {
  lines = [];
  restore = setLogSink((line) => lines.push(JSON.parse(line) as Record<string, unknown>));
});
afterEach(() => {
  if (restore) setLogSink(restore);
});

function app() {
  const app = new Hono<AppEnv>();
  app.onError(onError);
  app.use("*", requestId, requestLogger);
  app.post("/things", (c) => {
    c.var.logger.info("made a thing");
    return c.json({}, 201);
  });
  app.get("/refuse", () => {
    throw new ApiError("forbidden", "no");
  });
  return app;
}

const ofRequest = (res: Response) => lines.filter((l) => l.requestId === res.headers.get("X-Request-Id"));

describe("requestLogger", () => {
  it("writes one access line per request, with the request id, and no query string", async () => {
    const res = await send(app(), "/things?token=very-secret-value", { method: "POST" });
    expect(res.status).toBe(201);
    const access = ofRequest(res).filter((l) => l.message === "request");
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({ method: "POST", path: "/things", status: 201, actor: "anonymous" });
    expect(typeof access[0]?.durationMs).toBe("number");
    expect(JSON.stringify(lines)).not.toContain("very-secret-value");
  });

  it("gives the handler a logger whose lines carry the request id", async () => {
    const res = await send(app(), "/things", { method: "POST" });
    expect(ofRequest(res).map((l) => l.message)).toEqual(["made a thing", "request"]);
  });

  it("logs the status the client got when the request failed", async () => {
    const res = await send(app(), "/refuse");
    expect(res.status).toBe(403);
    expect(ofRequest(res).find((l) => l.message === "request")).toMatchObject({
      status: 403,
      path: "/refuse",
    });
  });
});
