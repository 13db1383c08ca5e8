import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { send } from "../../test/edge";
import type { AppEnv } from "../http/env";
import { ApiError } from "../lib/errors";
import { onError } from "./errors";
import { noStore } from "./no-store";
import { requestId } from "./request-id";

function app() {
  const app = new Hono<AppEnv>();
  app.onError(onError);
  app.use("*", requestId, noStore);
  app.post("/login", (c) => c.json({ accessToken: "t" }));
  app.get("/public", (c) => {
    c.header("Cache-Control", "public, max-age=60");
    return c.json({});
  });
  app.get("/refuse", () => {
    throw new ApiError("unauthorized", "no");
  });
  return app;
}

describe("noStore", () => {
  it("marks answers no-store, so no cache keeps a token (RFC 9111 §5.2.2.5)", async () => {
    const res = await send(app(), "/login", { method: "POST" });
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
  });

  it("marks error answers too", async () => {
    const res = await send(app(), "/refuse");
    expect(res.status).toBe(401);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
  });

  it("leaves a route's own choice alone", async () => {
    const res = await send(app(), "/public");
    expect(res.headers.get("Cache-Control")).toBe("public, max-age=60");
  });
});
