import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import { parseConfig } from "../../src/config";
import { call, errorCode } from "../helpers";

const prodKeyring = JSON.stringify({
  active: 2,
  keys: { "2": btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32)))) },
});

/** An Ed25519 PKCS#8 key (DER: the fixed prefix, then 32 random bytes), base64. */
const ed25519Pkcs8 = () =>
  btoa(
    String.fromCharCode(
      ...[0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20],
      ...crypto.getRandomValues(new Uint8Array(32)),
    ),
  );
const prodSigningKeys = JSON.stringify({ active: "2026-12", keys: { "2026-12": ed25519Pkcs8() } });

/** A complete, safe production configuration; each test breaks one thing. */
const production = (): Record<string, string> => ({
  ENVIRONMENT: "production",
  PUBLIC_URL: "https://api.islet.example",
  CONTROL_DB_URL: "libsql://control-islet.turso.io",
  CONTROL_DB_TOKEN: "eyJhbGciOiJFZERTQSJ9.prod-control-token.sig",
  PROVISIONER: "turso",
  TURSO_API_URL: "https://api.turso.tech",
  TURSO_ORG: "islet",
  TURSO_API_TOKEN: "eyJhbGciOiJSUzI1NiJ9.prod-platform-token.sig",
  ISLET_KEYRING: prodKeyring,
  SESSION_JWT_SECRET: "Zk3q9XvT1mB8sLr2Wc7yHd4Ne6Pa0Gu5Jx1Ko3Qi",
  PLATFORM_SIGNING_KEYS: prodSigningKeys,
});

const problemsOf = (vars: Record<string, string>) => {
  const result = parseConfig(vars);
  return result.ok ? [] : result.problems;
};

describe("config fails closed in production", () => {
  it("accepts a complete production configuration", () => {
    expect(problemsOf(production())).toEqual([]);
  });

  it.each([
    ["ISLET_INSECURE_LOCAL", { ISLET_INSECURE_LOCAL: "1" }, /ISLET_INSECURE_LOCAL/],
    ["development plan for new workspaces", { DEFAULT_PLAN: "development" }, /DEFAULT_PLAN development/],
    [
      "plain-HTTP control DB",
      { CONTROL_DB_URL: "http://control.example:8080" },
      /CONTROL_DB_URL uses plain HTTP/,
    ],
    ["plain-HTTP Turso API", { TURSO_API_URL: "http://api.turso.tech" }, /TURSO_API_URL/],
    ["http public URL", { PUBLIC_URL: "http://api.islet.example" }, /PUBLIC_URL/],
    ["local provisioner", { PROVISIONER: "local" }, /PROVISIONER must be turso/],
    [
      "dev keyring",
      { ISLET_KEYRING: JSON.stringify({ ...JSON.parse(prodKeyring), env: "dev" }) },
      /development keyring/,
    ],
    [
      "placeholder keyring key",
      {
        ISLET_KEYRING: JSON.stringify({
          active: 1,
          keys: { "1": "change-me-base64-32-bytes-change-me-change-me=" },
        }),
      },
      /placeholder/,
    ],
    [
      "dev session secret",
      { SESSION_JWT_SECRET: "dev_0123456789abcdefghijklmnopqrstuvwxyz" },
      /SESSION_JWT_SECRET/,
    ],
    ["placeholder token", { CONTROL_DB_TOKEN: "change-me" }, /CONTROL_DB_TOKEN/],
    ["short session secret", { SESSION_JWT_SECRET: "short" }, /SESSION_JWT_SECRET/],
    ["malformed keyring", { ISLET_KEYRING: "{not json" }, /ISLET_KEYRING/],
    ["no platform signing key", { PLATFORM_SIGNING_KEYS: "" }, /PLATFORM_SIGNING_KEYS is missing/],
    [
      "dev platform signing keys",
      { PLATFORM_SIGNING_KEYS: JSON.stringify({ ...JSON.parse(prodSigningKeys), env: "dev" }) },
      /PLATFORM_SIGNING_KEYS are development keys/,
    ],
    ["malformed signing keys", { PLATFORM_SIGNING_KEYS: '{"active":"x"}' }, /PLATFORM_SIGNING_KEYS/],
  ])("refuses %s", (_name, change, reason) => {
    expect(problemsOf({ ...production(), ...change }).join("\n")).toMatch(reason);
  });

  it("refuses missing secrets", () => {
    const { CONTROL_DB_TOKEN: _a, TURSO_API_TOKEN: _b, ...rest } = production();
    const problems = problemsOf(rest).join("\n");
    expect(problems).toMatch(/CONTROL_DB_TOKEN is missing/);
    expect(problems).toMatch(/TURSO_API_TOKEN is missing/);
  });

  it("never echoes a secret value in a problem", () => {
    const secret = '{"active":1,"keys":{"1":"c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1ub3QtbGVhaw=="}';
    expect(problemsOf({ ...production(), ISLET_KEYRING: secret }).join("\n")).not.toContain("c2VjcmV0");
  });

  it("outside production still refuses plain HTTP unless ISLET_INSECURE_LOCAL is set", () => {
    const vars = { ...(env as unknown as Record<string, string>), ISLET_INSECURE_LOCAL: "0" };
    expect(problemsOf(vars).join("\n")).toMatch(/plain HTTP without ISLET_INSECURE_LOCAL/);
  });
});

describe("a misconfigured Worker refuses to serve", () => {
  it("answers 503 misconfigured on every route", async () => {
    const app = buildApp();
    const res = await app.request("/health", {}, { ...production(), ISLET_INSECURE_LOCAL: "1" });
    expect(res.status).toBe(503);
    expect(await errorCode(res)).toBe("misconfigured");
    // The refusal is an answer like any other: browser headers and all.
    expect(res.headers.get("Content-Security-Policy")).toContain("default-src 'none'");
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(res.headers.get("Strict-Transport-Security")).toContain("max-age=");
  });

  it("serves normally with the test configuration", async () => {
    const res = await call("GET", "/health");
    expect(res.status).toBe(200);
  });
});
