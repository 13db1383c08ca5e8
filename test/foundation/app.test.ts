import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { buildApp } from "../../src/app";
import { validate } from "../../src/lib/validate";
import { call, errorCode, json } from "../helpers";

describe("the error envelope", () => {
  it("answers unknown routes with a 404 envelope carrying the request id", async () => {
    const res = await call("GET", "/v1/no-such-thing");
    expect(res.status).toBe(404);
    const body = await json<{ error: { code: string; requestId: string } }>(res);
    expect(body.error.code).toBe("not_found");
    expect(body.error.requestId).toBe(res.headers.get("X-Request-Id"));
  });

  it("answers a known path with the wrong method with 405 and Allow", async () => {
    const res = await call("DELETE", "/health");
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toBe("GET");
    expect(await errorCode(res)).toBe("method_not_allowed");
  });
});

describe("validation through the real middleware chain", () => {
  // A route defined the way every islet route is: validate(), then a handler.
  const app = buildApp();
  const schema = z.object({ name: z.string().min(1).max(20), count: z.number().int() });
  app.post("/probe", validate("json", schema), (c) => c.json({ ok: c.req.valid("json") }));
  const post = (
    body: BodyInit | undefined,
    headers: Record<string, string> = { "Content-Type": "application/json" },
  ) => app.request("/probe", { method: "POST", body, headers }, env);

  it("accepts a valid body", async () => {
    const res = await post(JSON.stringify({ name: "a", count: 1 }));
    expect(res.status).toBe(200);
  });

  it.each([
    ["malformed JSON", '{"name": ', "invalid_json", 400],
    ["wrong types", JSON.stringify({ name: 5, count: "x" }), "invalid_request", 400],
    ["empty JSON body", undefined, "invalid_json", 400],
    ["array instead of object", "[1,2,3]", "invalid_request", 400],
    ["unicode tricks", JSON.stringify({ name: "\u202e\u0000\ud800", count: 1.5 }), "invalid_request", 400],
    ["deeply nested JSON", `${"[".repeat(5000)}${"]".repeat(5000)}`, "invalid_request", 400],
  ])("%s → %s", async (_what, body, code, status) => {
    const res = await post(body);
    expect(res.status).toBe(status);
    expect(await errorCode(res)).toBe(code);
  });

  it("names the failing field without echoing its value", async () => {
    const res = await post(JSON.stringify({ name: "x".repeat(50), count: 1 }));
    const body = await json<{ error: { details: { issues: { path: string }[] } } }>(res);
    expect(body.error.details.issues[0]?.path).toBe("name");
    expect(JSON.stringify(body)).not.toContain("x".repeat(50));
  });

  it("refuses a non-JSON content type with 415", async () => {
    const res = await post("name=a", { "Content-Type": "application/x-www-form-urlencoded" });
    expect(res.status).toBe(415);
    expect(await errorCode(res)).toBe("unsupported_media_type");
  });

  it("refuses a body over the configured limit with 413 before reading it", async () => {
    const res = await app.request(
      "/probe",
      { method: "POST", body: "x".repeat(2048), headers: { "Content-Type": "application/json" } },
      { ...env, MAX_BODY_BYTES: "1024" },
    );
    expect(res.status).toBe(413);
    expect(await errorCode(res)).toBe("payload_too_large");
  });
});

describe("browser headers", () => {
  it("sets strict security headers with a per-request CSP nonce", async () => {
    const first = await call("GET", "/login");
    const second = await call("GET", "/login");
    const csp = first.headers.get("Content-Security-Policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/'nonce-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toBe(second.headers.get("Content-Security-Policy"));
    for (const res of [first, await call("GET", "/health")]) {
      expect(res.headers.get("X-Frame-Options")).toBe("DENY");
      expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(res.headers.get("Cross-Origin-Opener-Policy")).toBe("same-origin");
      expect(res.headers.get("Cross-Origin-Resource-Policy")).toBe("same-origin");
      expect(res.headers.get("Referrer-Policy")).toBeTruthy();
      expect(res.headers.get("Permissions-Policy")).toContain("camera=()");
    }
  });

  it("sends HSTS with preload on an HTTPS deployment only", async () => {
    const app = buildApp();
    const https = await app.request("/health", {}, { ...env, PUBLIC_URL: "https://islet.example" });
    expect(https.headers.get("Strict-Transport-Security")).toBe(
      "max-age=63072000; includeSubDomains; preload",
    );
    const plain = await app.request("/health", {}, env);
    expect(plain.headers.get("Strict-Transport-Security")).toBeNull();
  });

  it("allows only allowlisted CORS origins", async () => {
    const allowed = await call("OPTIONS", "/health", {
      headers: { Origin: "http://127.0.0.1:8787", "Access-Control-Request-Method": "GET" },
    });
    expect(allowed.headers.get("Access-Control-Allow-Origin")).toBe("http://127.0.0.1:8787");
    const refused = await call("OPTIONS", "/health", {
      headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "GET" },
    });
    expect(refused.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });
});

describe("health", () => {
  it("reports the control database", async () => {
    const res = await call("GET", "/health");
    expect(await res.json()).toEqual({ status: "ok", controlDb: "ok" });
  });

  it("answers 503 naming the failing part when the control database is down", async () => {
    const app = buildApp();
    const res = await app.request("/health", {}, { ...env, CONTROL_DB_URL: "http://control.localhost:9" });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: "degraded", controlDb: "error" });
  });
});

describe("authentication errors", () => {
  it.each([
    ["a malformed Authorization header", { Authorization: "Basic abc" }, "unauthorized"],
    ["a garbage bearer token", { Authorization: "Bearer not-a-jwt" }, "invalid_token"],
    ["a malformed API key", { Authorization: "Bearer isk_short_x" }, "invalid_token"],
  ])("refuses %s with 401", async (_what, headers, code) => {
    const res = await call("GET", "/v1/workspaces", { headers });
    expect(res.status).toBe(401);
    expect(await errorCode(res)).toBe(code);
  });
});
