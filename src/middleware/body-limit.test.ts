import { describe, expect, it } from "vitest";
import { edgeApp, envelope, send } from "../../test/edge";
import { bodyLimit } from "./body-limit";

// Small limits for the test: the rule is the same at any size.
const LIMITS = { MAX_BODY_BYTES: "64", MAX_IMPORT_BYTES: "256" };
const IMPORT = "/v1/workspaces/ws_0000000000000000000000000a/import";

function app() {
  const app = edgeApp();
  app.use("*", bodyLimit);
  app.post("/v1/things", async (c) => c.json({ read: (await c.req.text()).length }));
  app.post("/v1/workspaces/:workspaceId/import", async (c) => c.json({ read: (await c.req.text()).length }));
  return app;
}

const post = (path: string, body: BodyInit, headers: Record<string, string> = {}) =>
  send(app(), path, { method: "POST", body, headers }, LIMITS);

/** A body sent in chunks with no Content-Length, as a streaming client sends it. */
const streamed = (bytes: number) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (let sent = 0; sent < bytes; sent += 16)
        controller.enqueue(new Uint8Array(Math.min(16, bytes - sent)));
      controller.close();
    },
  });

describe("bodyLimit", () => {
  it("lets a body up to MAX_BODY_BYTES through", async () => {
    const res = await post("/v1/things", "x".repeat(64));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ read: 64 });
  });

  it("refuses a larger body with 413 payload_too_large, declared or streamed", async () => {
    const declared = { "Content-Length": "65" };
    for (const [body, headers] of [
      ["x".repeat(65), declared],
      [streamed(65), {}],
    ] as const) {
      const res = await post("/v1/things", body, headers);
      expect(res.status).toBe(413);
      expect((await envelope(res)).code).toBe("payload_too_large");
    }
  });

  it("leaves an import's archive to the import verb, up to MAX_IMPORT_BYTES", async () => {
    const res = await post(IMPORT, streamed(200));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ read: 200 });
  });

  it("refuses an import that declares more than MAX_IMPORT_BYTES before reading it", async () => {
    const res = await post(IMPORT, "x".repeat(257), { "Content-Length": "257" });
    expect(res.status).toBe(413);
    expect((await envelope(res)).code).toBe("payload_too_large");
  });
});
