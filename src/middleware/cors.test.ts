import { describe, expect, it } from "vitest";
import { edgeApp, send } from "../../test/edge";
import { cors } from "./cors";

// wrangler.toml lists http://127.0.0.1:8787 and http://localhost:8787 in CORS_ORIGINS.
const LISTED = "http://localhost:8787";

function app() {
  const app = edgeApp();
  app.use("*", cors);
  app.get("/v1/things", (c) => c.json({ ok: true }));
  return app;
}

const preflight = (origin: string) => ({
  method: "OPTIONS",
  headers: {
    Origin: origin,
    "Access-Control-Request-Method": "DELETE",
    "Access-Control-Request-Headers": "Authorization, Idempotency-Key",
  },
});

describe("cors", () => {
  it("answers a listed origin's preflight with credentials and islet's methods and headers", async () => {
    const res = await send(app(), "/v1/things", preflight(LISTED));
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe(LISTED);
    expect(res.headers.get("Access-Control-Allow-Credentials")).toBe("true");
    expect(res.headers.get("Access-Control-Allow-Methods")).toContain("DELETE");
    expect(res.headers.get("Access-Control-Allow-Headers")).toContain("Idempotency-Key");
    expect(res.headers.get("Access-Control-Max-Age")).toBe("600");
  });

  it("exposes the request id and rate-limit headers to a listed origin's scripts", async () => {
    const res = await send(app(), "/v1/things", { headers: { Origin: LISTED } });
    expect(res.status).toBe(200);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe(LISTED);
    const exposed = res.headers.get("Access-Control-Expose-Headers") ?? "";
    for (const name of ["X-Request-Id", "RateLimit-Remaining", "Retry-After"])
      expect(exposed).toContain(name);
    expect(res.headers.get("Vary")).toContain("Origin");
  });

  it("grants nothing to an origin that is not listed, and never a wildcard", async () => {
    for (const init of [
      preflight("https://attacker.example"),
      { headers: { Origin: "https://attacker.example" } },
    ]) {
      const res = await send(app(), "/v1/things", init);
      expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
    }
  });

  it("reads the list from the deployment's configuration", async () => {
    const vars = { CORS_ORIGINS: "https://app.example" };
    const listed = await send(app(), "/v1/things", { headers: { Origin: "https://app.example" } }, vars);
    expect(listed.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example");
    const dropped = await send(app(), "/v1/things", { headers: { Origin: LISTED } }, vars);
    expect(dropped.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });
});
