// The admin API (sqld's docs/ADMIN_API.md plus GET /v1/namespaces) and namespace isolation.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  admin,
  caught,
  clientFor,
  createNamespace,
  postWithHost,
  startTestDevdb,
  type TestDevdb,
} from "./testing.ts";

describe("admin API without a token (loopback only)", () => {
  let devdb: TestDevdb;
  beforeAll(async () => {
    devdb = await startTestDevdb();
  });
  afterAll(async () => {
    await devdb.cleanup();
  });

  it("answers /health on both ports", async () => {
    expect((await fetch(`${devdb.url}/health`)).status).toBe(200);
    expect((await fetch(`${devdb.adminUrl}/health`)).status).toBe(200);
  });

  it("creates, lists and deletes namespaces, files included", async () => {
    expect(await admin(devdb, "POST", "/v1/namespaces/shop/create")).toEqual({ status: 200, body: {} });
    const withBody = await fetch(`${devdb.adminUrl}/v1/namespaces/blog/create`, {
      method: "POST",
      body: "{}",
    });
    expect(withBody.status).toBe(200);
    expect((await admin(devdb, "GET", "/v1/namespaces")).body).toEqual({
      namespaces: ["blog", "default", "shop"],
    });

    const db = clientFor(devdb.url, { namespace: "shop" });
    await db.execute("CREATE TABLE t (x)");
    await db.execute("INSERT INTO t VALUES (1)");
    expect(existsSync(join(devdb.dir, "shop.db"))).toBe(true);

    expect(await admin(devdb, "DELETE", "/v1/namespaces/shop")).toEqual({ status: 200, body: {} });
    for (const suffix of ["", "-wal", "-shm"])
      expect(existsSync(join(devdb.dir, `shop.db${suffix}`))).toBe(false);
    expect((await admin(devdb, "GET", "/v1/namespaces")).body).toEqual({ namespaces: ["blog", "default"] });
    const gone = await caught(() => db.execute("SELECT 1"));
    expect(gone.code).toBe("NAMESPACE_NOT_FOUND");

    // Re-created, it starts empty.
    await createNamespace(devdb, "shop");
    expect((await caught(() => db.execute("SELECT * FROM t"))).code).toBe("SQLITE_ERROR");
    db.close();
  });

  it("snapshots a namespace consistently and restores the snapshot into a new one", async () => {
    await createNamespace(devdb, "snap");
    const db = clientFor(devdb.url, { namespace: "snap" });
    await db.execute("CREATE TABLE t (x)");
    await db.execute("INSERT INTO t VALUES (1), (2)");
    // An open write transaction's rows are not in the copy: it is the database as of one commit.
    const tx = await db.transaction("write");
    await tx.execute("INSERT INTO t VALUES (99)");
    const taken = await admin(devdb, "POST", "/v1/namespaces/snap/snapshots");
    await tx.rollback();
    expect(taken.status).toBe(200);
    const { snapshot } = taken.body as { snapshot: { id: string; namespace: string; size: number } };
    expect(snapshot).toMatchObject({ namespace: "snap", size: expect.any(Number) });
    await db.execute("INSERT INTO t VALUES (3)");

    expect((await admin(devdb, "GET", "/v1/namespaces/snap/snapshots")).body).toMatchObject({
      snapshots: [{ id: snapshot.id }],
    });
    const restore = `/v1/namespaces/snap/snapshots/${snapshot.id}/restore`;
    expect(await admin(devdb, "POST", restore, undefined, { to: "snap-copy" })).toEqual({
      status: 200,
      body: {},
    });
    expect((await admin(devdb, "POST", restore, undefined, { to: "snap-copy" })).status).toBe(409);
    const copy = clientFor(devdb.url, { namespace: "snap-copy" });
    expect((await copy.execute("SELECT x FROM t ORDER BY x")).rows.map((r) => r.x)).toEqual([1, 2]);
    await copy.execute("INSERT INTO t VALUES (4)"); // a live namespace, writable
    copy.close();

    // Snapshots outlive their namespace (a backup must), until deleted.
    await admin(devdb, "DELETE", "/v1/namespaces/snap");
    expect((await admin(devdb, "GET", "/v1/namespaces/snap/snapshots")).body).toMatchObject({
      snapshots: [{ id: snapshot.id }],
    });
    expect((await admin(devdb, "DELETE", `/v1/namespaces/snap/snapshots/${snapshot.id}`)).status).toBe(200);
    expect((await admin(devdb, "DELETE", `/v1/namespaces/snap/snapshots/${snapshot.id}`)).status).toBe(404);
    expect((await admin(devdb, "POST", "/v1/namespaces/missing/snapshots")).status).toBe(404);
    expect(
      (
        await admin(devdb, "POST", "/v1/namespaces/snap/snapshots/..%2F..%2Fx/restore", undefined, {
          to: "y",
        })
      ).status,
    ).toBe(404);
    db.close();
  });

  it("answers conflicts, unknown and invalid names with JSON errors", async () => {
    await createNamespace(devdb, "dup");
    const again = await admin(devdb, "POST", "/v1/namespaces/dup/create");
    expect(again.status).toBe(409);
    expect(again.body.error).toBe("Namespace `dup` already exists");
    const missing = await admin(devdb, "DELETE", "/v1/namespaces/nope");
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe("Namespace `nope` does not exist");
    for (const name of ["UPPER", "-dash", "a.b", "x".repeat(64), "a%20b"]) {
      expect((await admin(devdb, "POST", `/v1/namespaces/${name}/create`)).status, name).toBe(400);
    }
    expect((await admin(devdb, "DELETE", "/v1/namespaces/default")).status).toBe(400);
    const bad = await fetch(`${devdb.adminUrl}/v1/namespaces/ok/create`, { method: "POST", body: "[1,2" });
    expect(bad.status).toBe(400);
    expect((await admin(devdb, "GET", "/v1/namespaces/dup/create")).status).toBe(405);
  });

  it("ends open transactions of a deleted namespace", async () => {
    await createNamespace(devdb, "doomed");
    const db = clientFor(devdb.url, { namespace: "doomed" });
    await db.execute("CREATE TABLE t (x)");
    const tx = await db.transaction("write");
    await tx.execute("INSERT INTO t VALUES (1)");
    await admin(devdb, "DELETE", "/v1/namespaces/doomed");
    expect((await caught(() => tx.execute("SELECT 1"))).code).toBe("NAMESPACE_NOT_FOUND");
    // A namespace of the same name starts empty and writable: nothing of the old stream survives.
    await createNamespace(devdb, "doomed");
    await db.execute("CREATE TABLE t (x)");
    await db.execute("INSERT INTO t VALUES (2)");
    expect((await db.execute("SELECT x FROM t")).rows.map((r) => r.x)).toEqual([2]);
    db.close();
  });

  it("answers an unknown namespace on the Hrana port with 404", async () => {
    const res = await fetch(`${devdb.url}/v2/pipeline`, {
      method: "POST",
      headers: { "x-namespace": "ghost" },
      body: JSON.stringify({ requests: [{ type: "execute", stmt: { sql: "SELECT 1" } }] }),
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toBe("Namespace `ghost` does not exist");
    const invalid = await postWithHost(devdb, `Bad_Name!.localhost:${devdb.port}`, "/v2/pipeline", {
      requests: [],
    });
    expect(invalid.status).toBe(400);
  });
});

describe("admin API with a token", () => {
  const TOKEN = "s3cret-admin-token";
  let devdb: TestDevdb;
  beforeAll(async () => {
    devdb = await startTestDevdb({ adminToken: TOKEN });
  });
  afterAll(async () => {
    await devdb.cleanup();
  });

  it("refuses requests without the exact bearer token", async () => {
    for (const token of [undefined, "wrong", `${TOKEN}x`, TOKEN.slice(0, -1)]) {
      const res = await admin(devdb, "POST", "/v1/namespaces/x/create", token);
      expect(res.status, String(token)).toBe(401);
    }
    expect((await admin(devdb, "GET", "/v1/namespaces")).status).toBe(401);
    expect((await admin(devdb, "GET", "/v1/namespaces", TOKEN)).body).toEqual({ namespaces: ["default"] });
    expect((await fetch(`${devdb.adminUrl}/health`)).status).toBe(200);
  });

  it("serves requests with the token", async () => {
    expect((await admin(devdb, "POST", "/v1/namespaces/x/create", TOKEN)).status).toBe(200);
    expect((await admin(devdb, "DELETE", "/v1/namespaces/x", TOKEN)).status).toBe(200);
  });
});

describe("namespace isolation", () => {
  let devdb: TestDevdb;
  beforeAll(async () => {
    devdb = await startTestDevdb();
    await createNamespace(devdb, "alpha");
    await createNamespace(devdb, "beta");
  });
  afterAll(async () => {
    await devdb.cleanup();
  });

  it("keeps tables of one namespace out of another, by header and by host", async () => {
    const alpha = clientFor(devdb.url, { namespace: "alpha" });
    const beta = clientFor(devdb.url, { namespace: "beta" });
    await alpha.execute("CREATE TABLE only_alpha (v TEXT)");
    await alpha.execute("INSERT INTO only_alpha VALUES ('alpha data')");
    expect((await caught(() => beta.execute("SELECT * FROM only_alpha"))).message).toContain("no such table");
    expect((await caught(() => clientFor(devdb.url).execute("SELECT * FROM only_alpha"))).code).toBe(
      "SQLITE_ERROR",
    );

    const query = {
      requests: [{ type: "execute", stmt: { sql: "SELECT v FROM only_alpha" } }, { type: "close" }],
    };
    const byHost = await postWithHost(devdb, `alpha.localhost:${devdb.port}`, "/v2/pipeline", query);
    const [result] = byHost.json.results as { type: string; response: { result: { rows: unknown[][] } } }[];
    expect(result?.response.result.rows).toEqual([[{ type: "text", value: "alpha data" }]]);
    const wrongHost = await postWithHost(devdb, `beta.localhost:${devdb.port}`, "/v2/pipeline", query);
    expect((wrongHost.json.results as { type: string }[])[0]?.type).toBe("error");
    alpha.close();
    beta.close();
  });
});
