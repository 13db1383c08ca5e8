import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../bench/_stack";
import { tenantDb } from "../src/db/tenant/client";
import { type Config, parseConfig } from "../src/env";
import { envelopeVersion } from "../src/lib/crypto";
import { newId } from "../src/lib/ids";
import { createLogger, setLogSink } from "../src/lib/logger";
import { SandboxBudget } from "../src/sandbox/budget";
import type { ServiceContext } from "../src/services/context";
import { fanOutMigrations, listTenants, rotateKeyring } from "../src/services/operator";
import { provisionWorkspace } from "../src/services/workspaces/provision";

let stack: Stack;
let config: Config;
const ctx = (c: Config): ServiceContext => ({
  env: {},
  config: c,
  actor: { type: "operator", operatorId: "test" },
  requestId: "cli-test",
  ip: null,
  userAgent: null,
  logger: createLogger({}),
  waitUntil: () => {},
  sandboxBudget: new SandboxBudget(),
});

function configFrom(vars: Record<string, string>): Config {
  const parsed = parseConfig(vars);
  if (!parsed.ok) throw new Error(parsed.problems.join("; "));
  return parsed.config;
}

beforeAll(async () => {
  setLogSink(() => {});
  stack = await startStack();
  config = configFrom(stack.vars);
  for (let i = 0; i < 3; i++) {
    await provisionWorkspace({
      ctx: ctx(config),
      input: { name: `cli ${i}`, slug: `cli-${newId("s").slice(-10)}`, region: "us-west" },
    });
  }
}, 60_000);
afterAll(async () => stack?.stop());

describe("operator CLI", () => {
  it("lists tenants", async () => {
    const tenants = await listTenants({ ctx: ctx(config) });
    expect(tenants).toHaveLength(3);
    expect(tenants.every((t) => t.status === "active")).toBe(true);
  });

  it("fans a new tenant migration out to every workspace, once, with progress", async () => {
    const migration = { name: "9000_cli_probe", sql: "CREATE TABLE cli_probe (x INTEGER);" };
    const progress: number[] = [];
    const first = await fanOutMigrations({
      ctx: ctx(config),
      input: { migrations: [migration], concurrency: 2, onProgress: (_s, done) => progress.push(done) },
    });
    expect(first.map((r) => r.status)).toEqual(["migrated", "migrated", "migrated"]);
    expect(progress).toEqual([1, 2, 3]);
    const again = await fanOutMigrations({ ctx: ctx(config), input: { migrations: [migration] } });
    expect(again.every((r) => r.status === "up_to_date")).toBe(true);
  });

  it("reports a failing tenant without stopping the others", async () => {
    const broken = { name: "9001_cli_broken", sql: "CREATE TABLE cli_probe (x INTEGER);" };
    const results = await fanOutMigrations({ ctx: ctx(config), input: { migrations: [broken] } });
    expect(results.every((r) => r.status === "failed" && /9001_cli_broken failed/.test(r.error ?? ""))).toBe(
      true,
    );
  });

  it("rotates the keyring: every token re-encrypted under the new version, still usable, resumable", async () => {
    const old = JSON.parse(stack.vars.ISLET_KEYRING as string) as { keys: Record<string, string> };
    const rotatedVars = {
      ...stack.vars,
      ISLET_KEYRING: JSON.stringify({
        active: 2,
        keys: { ...old.keys, "2": randomBytes(32).toString("base64") },
      }),
    };
    const rotated = configFrom(rotatedVars);
    const report = await rotateKeyring({ ctx: ctx(rotated), input: {} });
    expect(report).toMatchObject({ total: 3, rotated: 3, failed: [] });
    const tenants = await listTenants({ ctx: ctx(rotated) });
    for (const t of tenants) {
      expect(envelopeVersion(t.dbTokenEnc ?? "")).toBe(2);
      const db = await tenantDb(rotated, t);
      expect((await db.execute("SELECT 1 AS one")).rows[0]?.one).toBe(1);
    }
    expect(await rotateKeyring({ ctx: ctx(rotated), input: {} })).toMatchObject({
      rotated: 0,
      alreadyCurrent: 3,
    });
  });
});
