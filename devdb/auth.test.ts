// JWT authentication and per-namespace grants, as sqld interprets its claims.
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isLoopback } from "./auth.ts";
import {
  caught,
  clientFor,
  createNamespace,
  ed25519,
  hranaPost,
  postWithHost,
  type SigningKey,
  signToken,
  startTestDevdb,
  type TestDevdb,
} from "./testing.ts";

let key: SigningKey;
let devdb: TestDevdb;
const ADMIN = "admin-secret-for-tests";
const select1 = { requests: [{ type: "execute", stmt: { sql: "SELECT 1" } }, { type: "close" }] };
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

beforeAll(async () => {
  key = ed25519();
  devdb = await startTestDevdb({ jwtPublicKey: key.publicPem, adminToken: ADMIN });
  await createNamespace(devdb, "tenant_a", ADMIN);
  await createNamespace(devdb, "tenant_b", ADMIN);
  const owner = clientFor(devdb.url, { namespace: "tenant_a", authToken: await signToken(key, { a: "rw" }) });
  await owner.execute("CREATE TABLE secrets (v TEXT)");
  await owner.execute("INSERT INTO secrets VALUES ('a-only')");
  owner.close();
});
afterAll(async () => {
  await devdb.cleanup();
});

const tenantToken = (ns: string, scope: "rw" | "ro" = "rw") =>
  signToken(key, { p: { [scope]: { ns: [ns] } } }, 3600);

describe("without a valid token", () => {
  it("refuses requests that carry no token", async () => {
    const error = await caught(() => clientFor(devdb.url, { namespace: "tenant_a" }).execute("SELECT 1"));
    expect(error.code).toBe("AUTH_HEADER_NOT_FOUND");
    const res = await hranaPost(devdb, "/v2/pipeline", select1);
    expect(res.status).toBe(401);
    expect(res.json().error).toBe("Expected authorization header but none given");
  });

  it("refuses expired, not-yet-valid, tampered, unsigned and foreign tokens", async () => {
    const valid = await tenantToken("tenant_a");
    const [header, , signature] = valid.split(".");
    const other = ed25519();
    const hs256 = (() => {
      const head = b64url({ alg: "HS256", typ: "JWT" });
      const body = b64url({ a: "rw" });
      const mac = createHmac("sha256", key.publicPem).update(`${head}.${body}`).digest("base64url");
      return `${head}.${body}.${mac}`;
    })();
    const cases: [string, string, string][] = [
      ["expired", await signToken(key, { p: { rw: { ns: ["tenant_a"] } } }, -60), "AUTH_JWT_EXPIRED"],
      [
        "not yet valid",
        await signToken(key, { a: "rw", nbf: Math.floor(Date.now() / 1000) + 600 }),
        "AUTH_JWT_IMMATURE",
      ],
      [
        "payload swapped",
        `${header}.${b64url({ p: { rw: { ns: ["tenant_b"] } } })}.${signature}`,
        "AUTH_JWT_INVALID",
      ],
      ["alg none", `${b64url({ alg: "none", typ: "JWT" })}.${b64url({ a: "rw" })}.`, "AUTH_JWT_INVALID"],
      ["HS256 keyed with the public key", hs256, "AUTH_JWT_INVALID"],
      ["signed by another key", await signToken(other, { a: "rw" }), "AUTH_JWT_INVALID"],
      ["malformed p claim", await signToken(key, { p: { rw: { ns: "tenant_a" } } }), "AUTH_JWT_INVALID"],
      ["garbage", "not-a-jwt", "AUTH_JWT_INVALID"],
    ];
    for (const [name, token, code] of cases) {
      const error = await caught(() =>
        clientFor(devdb.url, { namespace: "tenant_a", authToken: token }).execute("SELECT 1"),
      );
      expect(error.code, name).toBe(code);
    }
    const basic = await hranaPost(devdb, "/v2/pipeline", select1, {
      authorization: "Basic dXNlcjpwYXNz",
      "x-namespace": "tenant_a",
    });
    expect(basic.status).toBe(401);
    expect(basic.json().code).toBe("AUTH_HTTP_HEADER_UNSUPPORTED_SCHEME");
  });
});

describe("token expiry", () => {
  it("refuses a token once its exp passes, even right after accepting it", async () => {
    const exp = Math.floor(Date.now() / 1000) + 1;
    const token = await signToken(key, { p: { rw: { ns: ["tenant_a"] } }, exp });
    const db = clientFor(devdb.url, { namespace: "tenant_a", authToken: token });
    expect((await db.execute("SELECT 1 AS ok")).rows[0]?.ok).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 20));
    expect((await caught(() => db.execute("SELECT 1"))).code).toBe("AUTH_JWT_EXPIRED");
  });
});

describe("tenant tokens { p: { rw: { ns: [...] } } }", () => {
  it("read and write their own namespace", async () => {
    const db = clientFor(devdb.url, { namespace: "tenant_a", authToken: await tenantToken("tenant_a") });
    await db.execute("INSERT INTO secrets VALUES ('more')");
    expect((await db.execute("SELECT count(*) AS n FROM secrets")).rows[0]?.n).toBe(2);
    const tx = await db.transaction("write");
    await tx.execute("DELETE FROM secrets WHERE v = 'more'");
    await tx.commit();
    db.close();
  });

  it("are refused on every other namespace, existing or not", async () => {
    const token = await tenantToken("tenant_a");
    for (const namespace of ["tenant_b", "default", "no_such_ns"]) {
      const error = await caught(() =>
        clientFor(devdb.url, { namespace, authToken: token }).execute("SELECT 1"),
      );
      expect(error.code, namespace).toBe("FORBIDDEN");
    }
  });

  it("select the namespace from a <ns>.localhost Host header too", async () => {
    const authorization = `Bearer ${await tenantToken("tenant_a")}`;
    const own = await postWithHost(devdb, `tenant_a.localhost:${devdb.port}`, "/v2/pipeline", select1, {
      authorization,
    });
    expect(own.status).toBe(200);
    const other = await postWithHost(devdb, `tenant_b.localhost:${devdb.port}`, "/v2/pipeline", select1, {
      authorization,
    });
    expect(other.status).toBe(403);
    expect(other.json.code).toBe("FORBIDDEN");
  });

  it("cannot carry a stream of their namespace over to another one", async () => {
    const authorization = `Bearer ${await signToken(key, { a: "rw" })}`;
    const open = await hranaPost(
      devdb,
      "/v2/pipeline",
      { requests: [] },
      { authorization, "x-namespace": "tenant_a" },
    );
    const baton = open.json().baton as string;
    const reuse = await hranaPost(
      devdb,
      "/v2/pipeline",
      { baton, ...select1 },
      { authorization, "x-namespace": "tenant_b" },
    );
    expect(reuse.status).toBe(400);
    expect(reuse.json().code).toBe("BATON_INVALID");
  });
});

describe("read-only grants", () => {
  it("read but never write, and a refused batch runs nothing", async () => {
    const db = clientFor(devdb.url, {
      namespace: "tenant_a",
      authToken: await tenantToken("tenant_a", "ro"),
    });
    expect((await db.execute("SELECT v FROM secrets")).rows.map((r) => r.v)).toEqual(["a-only"]);
    for (const sql of ["INSERT INTO secrets VALUES ('x')", "DROP TABLE secrets", "PRAGMA user_version = 7"]) {
      expect((await caught(() => db.execute(sql))).code, sql).toBe("FORBIDDEN");
    }
    const error = await caught(() => db.batch(["SELECT 1", "DELETE FROM secrets"], "write"));
    expect(error.code).toBe("FORBIDDEN");
    const [rs] = await db.batch(["SELECT count(*) AS n FROM secrets"], "read");
    expect(rs?.rows[0]?.n).toBe(1);
    const tx = await db.transaction("write");
    expect((await tx.execute("SELECT count(*) AS n FROM secrets")).rows[0]?.n).toBe(1);
    await tx.commit();
    db.close();
  });

  it("follow sqld's legacy claims: a = ro everywhere, id scopes one namespace, no claims = full access", async () => {
    const legacyRo = clientFor(devdb.url, {
      namespace: "tenant_a",
      authToken: await signToken(key, { a: "ro" }),
    });
    expect((await legacyRo.execute("SELECT count(*) AS n FROM secrets")).rows[0]?.n).toBe(1);
    expect((await caught(() => legacyRo.execute("DELETE FROM secrets"))).code).toBe("FORBIDDEN");

    const onlyB = await signToken(key, { id: "tenant_b" });
    await clientFor(devdb.url, { namespace: "tenant_b", authToken: onlyB }).execute(
      "CREATE TABLE IF NOT EXISTS b (x)",
    );
    const error = await caught(() =>
      clientFor(devdb.url, { namespace: "tenant_a", authToken: onlyB }).execute("SELECT 1"),
    );
    expect(error.code).toBe("FORBIDDEN");

    const bare = clientFor(devdb.url, { namespace: "tenant_b", authToken: await signToken(key, {}) });
    expect((await bare.execute("SELECT count(*) AS n FROM b")).rows[0]?.n).toBe(0);
  });
});

describe("key formats", () => {
  it("accepts sqld's raw base64url public key", async () => {
    const raw = await startTestDevdb({ jwtPublicKey: key.publicRaw });
    const db = clientFor(raw.url, { authToken: await signToken(key, { p: { rw: { ns: ["default"] } } }) });
    expect((await db.execute("SELECT 7 AS n")).rows[0]?.n).toBe(7);
    db.close();
    await raw.cleanup();
  });

  it("refuses to start with a private key or garbage as the public key", async () => {
    const pem = key.privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    await expect(startTestDevdb({ jwtPublicKey: pem })).rejects.toThrow(/PUBLIC KEY/);
    await expect(startTestDevdb({ jwtPublicKey: "hello" })).rejects.toThrow(/Ed25519/);
  });
});

describe("without a JWT key", () => {
  it("treats only loopback peers as trusted", () => {
    for (const address of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
      expect(isLoopback(address)).toBe(true);
    for (const address of ["10.0.0.1", "192.168.1.5", "::ffff:10.0.0.1", "fe80::1", "0.0.0.0", undefined]) {
      expect(isLoopback(address)).toBe(false);
    }
  });
});
