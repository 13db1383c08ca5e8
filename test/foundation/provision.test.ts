import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/control/client";
import { memberships, workspaces } from "../../src/db/control/schema";
import { libsqlClient } from "../../src/db/libsql";
import { TenantNotReadyError, tenantDb } from "../../src/db/tenant/client";
import { newId } from "../../src/lib/ids";
import { provisionerFor } from "../../src/provision";
import { PROVISION_STEPS, provisionWorkspace } from "../../src/services/workspaces/provision";
import { makeUser, makeWorkspace, testConfig, testContext } from "../helpers";

const config = testConfig();
const provisioner = provisionerFor(config);
const slug = () => `p-${newId("s").slice(-12)}`;

async function namespaces(): Promise<string[]> {
  const res = await fetch(`${env.DEVDB_ADMIN_URL}/v1/namespaces`, {
    headers: { Authorization: `Bearer ${env.DEVDB_ADMIN_TOKEN}` },
  });
  return ((await res.json()) as { namespaces: string[] }).namespaces;
}

describe("provisionWorkspace", () => {
  it("creates a database, applies tenant migrations, stores the token encrypted, activates", async () => {
    const owner = await makeUser();
    const ws = await makeWorkspace(owner);
    expect(ws.status).toBe("active");
    expect(await namespaces()).toContain(ws.dbName);
    expect(ws.dbTokenEnc).toMatch(/^v1\./);
    const client = await tenantDb(config, ws);
    const tables = await client.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
    expect(tables.rows.map((r) => r.name)).toContain("_islet_audit_log");
    const meta = await client.execute("SELECT value FROM _islet_meta WHERE key = 'workspace_id'");
    expect(meta.rows[0]?.value).toBe(ws.id);
    const [member] = await controlDb(config)
      .select()
      .from(memberships)
      .where(eq(memberships.workspaceId, ws.id));
    expect(member?.role).toBe("owner");
  });

  it("is idempotent by request key: the same request twice yields one workspace and one database", async () => {
    const owner = await makeUser();
    const input = {
      name: "Twice",
      slug: slug(),
      region: "us-east" as const,
      ownerUserId: owner.id,
      requestKey: newId("rk"),
    };
    const first = await provisionWorkspace({ ctx: testContext(owner.actor), input });
    const second = await provisionWorkspace({ ctx: testContext(owner.actor), input });
    expect(second.id).toBe(first.id);
    const rows = await controlDb(config)
      .select()
      .from(workspaces)
      .where(eq(workspaces.requestKey, input.requestKey));
    expect(rows).toHaveLength(1);
  });

  it("refuses a duplicate slug with 409 and creates nothing", async () => {
    const owner = await makeUser();
    const ws = await makeWorkspace(owner);
    const before = await namespaces();
    await expect(
      provisionWorkspace({
        ctx: testContext(owner.actor),
        input: { name: "Dup", slug: ws.slug, region: "eu-west" },
      }),
    ).rejects.toMatchObject({ code: "conflict" });
    expect(await namespaces()).toEqual(before);
  });

  it.each(PROVISION_STEPS)("leaves no orphan database or row when the %s step fails", async (failing) => {
    const owner = await makeUser();
    const s = slug();
    let dbName: string | undefined;
    await expect(
      provisionWorkspace({
        ctx: testContext(owner.actor),
        input: { name: "Fails", slug: s, region: "ap-south", ownerUserId: owner.id },
        deps: {
          beforeStep: async (step) => {
            const [row] = await controlDb(config).select().from(workspaces).where(eq(workspaces.slug, s));
            dbName ??= row?.dbName;
            if (step === failing) throw new Error(`injected failure at ${step}`);
          },
        },
      }),
    ).rejects.toMatchObject({ code: "unavailable" });
    const rows = await controlDb(config).select().from(workspaces).where(eq(workspaces.slug, s));
    expect(rows).toHaveLength(0);
    const owned = await controlDb(config).select().from(memberships).where(eq(memberships.userId, owner.id));
    expect(owned).toHaveLength(0);
    if (dbName) expect(await provisioner.exists(dbName)).toBe(false);
  });
});

describe("tenant isolation by construction", () => {
  it("a workspace's token cannot open another workspace's database", async () => {
    const owner = await makeUser();
    const a = await makeWorkspace(owner);
    const b = await makeWorkspace(owner);
    const clientA = await tenantDb(config, a);
    await clientA.execute("CREATE TABLE secrets_a (v TEXT)");
    // Take A's real token and point it at B's database.
    const { decryptSecret, importKeyring } = await import("../../src/lib/crypto");
    const { dbTokenBinding } = await import("../../src/db/tenant/client");
    const tokenA = await decryptSecret(
      await importKeyring(config.ISLET_KEYRING),
      a.dbTokenEnc ?? "",
      dbTokenBinding(a.id),
    );
    const crossed = libsqlClient(b.dbUrl ?? "", tokenA);
    await expect(crossed.execute("SELECT 1")).rejects.toThrow();
    await expect(crossed.execute("CREATE TABLE pwned (x)")).rejects.toThrow();
  });

  it("a token ciphertext moved to another workspace row does not decrypt", async () => {
    const owner = await makeUser();
    const a = await makeWorkspace(owner);
    const b = await makeWorkspace(owner);
    await expect(tenantDb(config, { ...b, dbTokenEnc: a.dbTokenEnc })).rejects.toThrow(
      /authentication failed/,
    );
  });

  it("refuses a workspace that is not active", async () => {
    await expect(
      tenantDb(config, { id: "ws_x", status: "provisioning", dbUrl: null, dbTokenEnc: null }),
    ).rejects.toBeInstanceOf(TenantNotReadyError);
  });
});
