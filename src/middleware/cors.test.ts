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

/** A complete production configuration (it passes src/config.ts's production rules), listing one origin. */
const PRODUCTION: Record<string, string> = {
  ENVIRONMENT: "production",
  ISLET_INSECURE_LOCAL: "0",
  PUBLIC_URL: "https://api.islet.example",
  CORS_ORIGINS: "https://app.example",
  CONTROL_DB_URL: "libsql://control-islet.turso.io",
  CONTROL_DB_TOKEN: "eyJhbGciOiJFZERTQSJ9.prod-control-token.sig",
  PROVISIONER: "turso",
  TURSO_API_URL: "https://api.turso.tech",
  TURSO_ORG: "islet",
  TURSO_API_TOKEN: "eyJhbGciOiJSUzI1NiJ9.prod-platform-token.sig",
  DEVDB_ADMIN_TOKEN: "Xr7kQ2mN9vB4tL8wC3yH",
  OPERATOR_TOKENS: "{}",
  DEFAULT_PLAN: "free",
  DOH_RESOLVER_URL: "https://cloudflare-dns.com/dns-query",
  PWNED_API_URL: "https://api.pwnedpasswords.com",
  ISLET_KEYRING: JSON.stringify({ active: 1, keys: { "1": btoa("Zq8#Lm2@Xv4!Tn6$Rb9%kPw3*Hj5^Ds1") } }),
  SESSION_JWT_SECRET: "Zk3q9XvT1mB8sLr2Wc7yHd4Ne6Pa0Gu5Jx1Ko3Qi",
  PLATFORM_SIGNING_KEYS: JSON.stringify({ active: "k1", keys: { k1: btoa("y".repeat(48)) } }),
};

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

  it("answers a dev server on any loopback port locally, and not in production", async () => {
    // The worker tests' bindings are a local stack (ISLET_INSECURE_LOCAL=1): Vite's default port.
    for (const origin of ["http://localhost:5173", "http://127.0.0.1:3000"]) {
      const res = await send(app(), "/v1/things", preflight(origin));
      expect(res.status).toBe(204);
      expect(res.headers.get("Access-Control-Allow-Origin")).toBe(origin);
      expect(res.headers.get("Access-Control-Allow-Credentials")).toBe("true");
    }
    // A name that merely starts like one is another site.
    const lookalike = await send(app(), "/v1/things", preflight("http://localhost.attacker.example:5173"));
    expect(lookalike.headers.get("Access-Control-Allow-Origin")).toBeNull();
    // A production deployment that serves (its configuration passes every production rule).
    const production = await send(app(), "/v1/things", preflight("http://localhost:5173"), PRODUCTION);
    expect(production.status).toBe(204);
    expect(production.headers.get("Access-Control-Allow-Origin")).toBeNull();
    const listed = await send(app(), "/v1/things", preflight("https://app.example"), PRODUCTION);
    expect(listed.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example");
  });

  it("reads the list from the deployment's configuration", async () => {
    const vars = { CORS_ORIGINS: "https://app.example" };
    const listed = await send(app(), "/v1/things", { headers: { Origin: "https://app.example" } }, vars);
    expect(listed.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example");
    const dropped = await send(app(), "/v1/things", { headers: { Origin: "https://other.example" } }, vars);
    expect(dropped.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });
});
