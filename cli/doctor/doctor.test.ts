// `islet doctor`: a complete production configuration passes; each missing secret fails its own
// row (table-driven over the deploy's secret list); the Turso token's reach is checked against
// the Turso fixture; wrangler.toml's bindings and date are checked; `setup turso` makes the groups.
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Stack, startStack } from "../../bench/_stack";
import { PRODUCTION_SECRETS } from "../../src/config";
import { setLogSink } from "../../src/lib/logger";
import { startTursoFixture, TURSO_ORG, TURSO_TOKEN, type TursoFixture } from "../../test/fixtures/turso";
import { main } from "../index";
import { type DoctorRow, readWrangler, runDoctor, wranglerRows, wranglerVars } from ".";

const toml = readWrangler();
let stack: Stack;
let turso: TursoFixture;
let dir: string;

beforeAll(async () => {
  setLogSink(() => {});
  stack = await startStack();
  turso = await startTursoFixture();
  dir = mkdtempSync(join(tmpdir(), "islet-doctor-"));
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await turso?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const failures = (rows: DoctorRow[]) => rows.filter((r) => r.result === "fail");
const row = (rows: DoctorRow[], check: string) => rows.find((r) => r.check === check);

/** What a production deploy has: wrangler.toml's [env.production.vars] and every secret, none a dev value. */
function productionVars(): Record<string, string> {
  const { privateKey } = generateKeyPairSync("ed25519");
  const signing = privateKey.export({ type: "pkcs8", format: "der" }).toString("base64");
  return {
    ...wranglerVars(toml, "production"),
    OIDC_PROVIDERS: JSON.stringify([{ id: "google", clientId: "islet.apps.googleusercontent.com" }]),
    CONTROL_DB_TOKEN: randomBytes(32).toString("base64url"),
    TURSO_API_TOKEN: randomBytes(32).toString("base64url"),
    ISLET_KEYRING: JSON.stringify({ active: 1, keys: { "1": randomBytes(32).toString("base64") } }),
    SESSION_JWT_SECRET: randomBytes(48).toString("base64url"),
    PLATFORM_SIGNING_KEYS: JSON.stringify({ active: "k1", keys: { k1: signing } }),
    MAIL_API_KEY: `re_${randomBytes(16).toString("hex")}`,
    OIDC_CLIENT_SECRETS: JSON.stringify({ google: randomBytes(16).toString("hex") }),
    OPERATOR_TOKENS: JSON.stringify({ alice: createHash("sha256").update(randomBytes(32)).digest("hex") }),
  };
}

describe("doctor", () => {
  it("passes the local stack, databases included", async () => {
    const rows = await runDoctor({ vars: stack.vars, toml, env: undefined });
    expect(failures(rows)).toEqual([]);
    expect(row(rows, "control database")?.result).toBe("pass");
    expect(row(rows, "devdb admin API")?.result).toBe("pass");
  });

  it("passes a complete production configuration (offline: production hosts are not reachable here)", async () => {
    const rows = await runDoctor({ vars: productionVars(), toml, env: "production", network: false });
    expect(failures(rows)).toEqual([]);
  });

  it.each(PRODUCTION_SECRETS)("fails when %s is missing, naming it and the fix", async (name) => {
    const vars = productionVars();
    delete vars[name];
    const rows = await runDoctor({ vars, toml, env: "production", network: false });
    expect(row(rows, `secret ${name}`)).toMatchObject({
      result: "fail",
      detail: "missing",
      fix: expect.stringContaining(`wrangler secret put ${name} --env production`),
    });
  });

  it("checks the Turso token's reach and the region groups against the Turso API", async () => {
    const vars = {
      ...stack.vars,
      PROVISIONER: "turso",
      TURSO_API_URL: turso.url,
      TURSO_ORG,
      TURSO_GROUP: "islet",
      TURSO_API_TOKEN: TURSO_TOKEN,
    };
    const good = await runDoctor({ vars, toml, env: undefined });
    expect(row(good, "Turso API token")?.result).toBe("pass");
    expect(row(good, "Turso groups")?.result).toBe("pass");

    const bad = await runDoctor({
      vars: { ...vars, TURSO_API_TOKEN: "revoked-token" },
      toml,
      env: undefined,
    });
    expect(row(bad, "Turso API token")).toMatchObject({
      result: "fail",
      detail: expect.stringContaining("401"),
    });

    const fresh = await runDoctor({ vars: { ...vars, TURSO_GROUP: "fresh" }, toml, env: undefined });
    expect(row(fresh, "Turso groups")).toMatchObject({ result: "fail", fix: "npm run islet -- setup turso" });
  });

  it("checks wrangler.toml's bindings and compatibility date in the deploy's own section", () => {
    expect(failures(wranglerRows(toml, "production"))).toEqual([]);
    const env = (toml.env as Record<string, Record<string, unknown>>).production ?? {};
    const broken = {
      ...toml,
      compatibility_date: "2099-01-01",
      env: {
        production: {
          ...env,
          durable_objects: { bindings: [{ name: "GATEKEEPER", class_name: "Gatekeeper" }] },
          queues: {},
        },
      },
    };
    const rows = wranglerRows(broken, "production");
    expect(failures(rows).map((r) => r.check)).toEqual([
      "compatibility date",
      "Durable Object TENANT_HUB",
      "queue WEBHOOKS",
    ]);
  });
});

describe("setup turso", () => {
  it("creates each region's group and the control database, its token in a file and not on screen", async () => {
    const envFile = join(dir, "turso.vars");
    const vars = {
      ...stack.vars,
      PROVISIONER: "turso",
      TURSO_API_URL: turso.url,
      TURSO_ORG,
      TURSO_GROUP: "setup",
      TURSO_API_TOKEN: TURSO_TOKEN,
    };
    writeFileSync(
      envFile,
      Object.entries(vars)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join("\n"),
    );
    const out = join(dir, "control.vars");
    const printed: string[] = [];
    const log = vi.spyOn(console, "log").mockImplementation((...args) => void printed.push(args.join(" ")));
    try {
      const errors = vi
        .spyOn(console, "error")
        .mockImplementation((...args) => void printed.push(args.join(" ")));
      const first = await main(["--env-file", envFile, "setup", "turso", "--out", out]);
      errors.mockRestore();
      expect(first, printed.join("\n")).toBe(0);
      // An existing --out is refused before anything is made (only a new file gets mode 600).
      const again = ["--env-file", envFile, "setup", "turso", "--control-db", "islet-control-2"];
      const refuse = vi.spyOn(console, "error").mockImplementation(() => {});
      expect(await main([...again, "--out", out])).toBe(2);
      refuse.mockRestore();
      expect(turso.databases.has("islet-control-2")).toBe(false);
      expect(await main([...again, "--out", join(dir, "control-2.vars")])).toBe(0);
    } finally {
      log.mockRestore();
    }
    for (const region of ["us-east", "us-west", "eu-west", "ap-south"])
      expect(turso.groups.has(`setup-${region}`)).toBe(true);
    expect(turso.databases.get("islet-control")?.group).toBe("setup-us-east");
    const written = readFileSync(out, "utf8");
    const token = /CONTROL_DB_TOKEN="([^"]+)"/.exec(written)?.[1] ?? "";
    expect(token).not.toBe("");
    expect(printed.join("\n")).not.toContain(token);
    expect(printed.join("\n")).toContain("exists"); // the second run found the groups
  });
});
