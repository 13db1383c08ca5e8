// The outbound guard with real name resolution: a local DNS-over-HTTPS resolver maps names to
// public and private addresses (test/fixtures/outbound.ts), and local targets redirect and
// answer large bodies. Every refusal happens before a connection to the refused address.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  checkOutboundTarget,
  guardedFetch,
  type OutboundPolicy,
  OutboundRefused,
} from "../../src/lib/outbound";
import { call, errorCode, json } from "../helpers";
import { makeTeam } from "../workspaces/fixtures";

const resolverUrl = `${env.TEST_OUTBOUND_FIXTURE_URL}/dns-query`;
const strict: OutboundPolicy = { insecureLocal: false, resolverUrl };
const local: OutboundPolicy = { insecureLocal: true, resolverUrl };
const target = env.TEST_OUTBOUND_FIXTURE_URL;

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OutboundRefused) return error.rule;
    throw error;
  }
  return "allowed";
}

describe("names are resolved and every address checked", () => {
  it("allows a name whose every address is public", async () => {
    expect((await checkOutboundTarget("https://public.example.test/jwks", strict)).hostname).toBe(
      "public.example.test",
    );
    expect((await checkOutboundTarget("https://v4only.example.test./x", strict)).hostname).toBe(
      "v4only.example.test.",
    );
  });

  it.each([
    ["https://private.example.test/", "resolves to an address that is not public"],
    ["https://metadata.example.test/latest/meta-data/", "resolves to an address that is not public"],
    ["https://cgnat.example.test/", "resolves to an address that is not public"],
    ["https://rebind.example.test/", "resolves to an address that is not public"],
    ["https://ula.example.test/", "resolves to an address that is not public"],
    ["https://mapped.example.test/", "resolves to an address that is not public"],
    ["https://nat64.example.test/", "resolves to an address that is not public"],
    ["https://loop.example.test/", "resolves to an address that is not public"],
    ["https://nowhere.example.test/", "does not resolve"],
    ["https://empty.example.test/", "does not resolve"],
  ])("refuses %s", async (url, rule) => {
    expect(await refusal(checkOutboundTarget(url, strict))).toBe(rule);
  });

  it("lets insecure-local mode reach loopback, and nothing else private", async () => {
    expect(await refusal(checkOutboundTarget("https://loop.example.test/", local))).toBe("allowed");
    expect(await refusal(checkOutboundTarget("https://private.example.test/", local))).toBe(
      "resolves to an address that is not public",
    );
  });

  it("refuses to check a name without a resolver", async () => {
    expect(
      await refusal(checkOutboundTarget("https://public.example.test/", { insecureLocal: false })),
    ).toMatch(/no DNS resolver/);
  });
});

describe("guardedFetch", () => {
  it("fetches an allowed target and follows a checked redirect", async () => {
    const res = await guardedFetch(`${target}/redirect?to=/ok`, {}, local);
    expect(await res.json()).toEqual({ ok: true, path: "/ok" });
  });

  it("refuses a redirect to a private address before following it", async () => {
    const to = encodeURIComponent("http://10.0.0.1/admin");
    expect(await refusal(guardedFetch(`${target}/redirect?to=${to}`, {}, local))).toBe("must use https");
    const https = encodeURIComponent("https://10.0.0.1/admin");
    expect(await refusal(guardedFetch(`${target}/redirect?to=${https}`, {}, local))).toBe(
      "must be a public address",
    );
    const named = encodeURIComponent("https://private.example.test/");
    expect(await refusal(guardedFetch(`${target}/redirect?to=${named}`, {}, local))).toBe(
      "resolves to an address that is not public",
    );
  });

  it("follows at most three redirects", async () => {
    expect((await guardedFetch(`${target}/chain?n=2`, {}, local)).status).toBe(200);
    expect(await refusal(guardedFetch(`${target}/chain?n=3`, {}, local))).toBe("redirects more than 3 times");
  });

  it("caps the response body", async () => {
    expect((await (await guardedFetch(`${target}/big?bytes=1000`, {}, local)).arrayBuffer()).byteLength).toBe(
      1000,
    );
    expect(await refusal(guardedFetch(`${target}/big?bytes=2000000`, { maxBytes: 1_000_000 }, local))).toBe(
      "answered with more than 1000000 bytes",
    );
  });
});

describe("where islet takes a URL", () => {
  it("refuses to register a JWKS issuer whose name resolves to a private address", async () => {
    const team = await makeTeam();
    const res = await call("POST", `/v1/workspaces/${team.workspace.id}/issuers`, {
      token: team.owner.token,
      body: {
        name: "private idp",
        kind: "jwks",
        issuer: "https://idp.example.test",
        audience: "app",
        jwksUrl: "https://private.example.test/.well-known/jwks.json",
      },
    });
    expect(res.status).toBe(400);
    const body = await json<{ error: { code: string; message: string } }>(res.clone());
    expect(body.error.message).toBe("jwksUrl resolves to an address that is not public");
    expect(body.error.message).not.toContain("10.0.0.1");
    expect(await errorCode(res)).toBe("outbound_refused");
  });
});
