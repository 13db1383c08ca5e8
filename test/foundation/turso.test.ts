import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { newId } from "../../src/lib/ids";
import { ProvisionError } from "../../src/provision";
import { TursoProvisioner } from "../../src/provision/turso";

// Against the local stand-in for the Turso Platform API (test/fixtures/turso.ts).
const turso = () =>
  new TursoProvisioner({
    apiUrl: env.TURSO_API_URL as string,
    org: env.TURSO_ORG as string,
    apiToken: env.TURSO_API_TOKEN as string,
    groupPrefix: "islet",
  });
const name = () => `ws-${newId("t").slice(-16)}`;
const failNext = (op: string) =>
  fetch(`${env.TURSO_API_URL}/__fixture/fail`, { method: "POST", body: JSON.stringify({ op }) });

describe("TursoProvisioner", () => {
  it("creates a database in the region's group with its own token, then destroys it", async () => {
    const db = name();
    const created = await turso().create(db, "eu-west");
    expect(created.url).toBe(`libsql://${db}-${env.TURSO_ORG}.turso.io`);
    expect(created.token.length).toBeGreaterThan(10);
    expect(await turso().exists(db)).toBe(true);
    await turso().destroy(db);
    expect(await turso().exists(db)).toBe(false);
  });

  it("reports a database's storage as Turso's usage endpoint totals it (the provider's figure)", async () => {
    const db = name();
    await turso().create(db, "eu-west");
    expect(await turso().storageBytes(db)).toBe(8192);
    await turso().destroy(db);
    await expect(turso().storageBytes(db)).rejects.toBeInstanceOf(ProvisionError);
  });

  it("is idempotent: creating an existing database returns it", async () => {
    const db = name();
    const first = await turso().create(db, "us-west");
    const second = await turso().create(db, "us-west");
    expect(second.url).toBe(first.url);
    await turso().destroy(db);
  });

  it("treats destroying a missing database as done", async () => {
    await expect(turso().destroy(name())).resolves.toBeUndefined();
  });

  it("surfaces upstream failures without the upstream body", async () => {
    await failNext("create");
    const error = await turso()
      .create(name(), "us-east")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProvisionError);
    expect((error as Error).message).not.toContain("injected");
  });

  it("refuses a wrong API token", async () => {
    const wrong = new TursoProvisioner({
      apiUrl: env.TURSO_API_URL as string,
      org: env.TURSO_ORG as string,
      apiToken: "nope",
      groupPrefix: "islet",
    });
    await expect(wrong.create(name(), "us-east")).rejects.toBeInstanceOf(ProvisionError);
  });

  it("refuses invalid database names before calling out", async () => {
    await expect(turso().create("Bad_Name!", "us-east")).rejects.toThrow(/invalid database name/);
  });
});
