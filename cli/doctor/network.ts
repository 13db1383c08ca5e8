// The checks that call out: the control database answers with its token and has no pending
// migrations, and the provisioner (devdb's admin API, or the Turso organization and its region
// groups) answers with its own.
import type { Config } from "../../src/config";
import { libsqlClient } from "../../src/db/libsql";
import { loadMigrations } from "../../src/db/migration-files";
import { pendingMigrations } from "../../src/db/migrator";
import { REGIONS } from "../../src/lib/tenancy";
import { provisionerFor } from "../../src/provision";
import { TursoProvisioner } from "../../src/provision/turso";
import { unreachable } from "../database-failure";
import { type DoctorRow, fail, message, pass } from "./rows";

const NETWORK_TIMEOUT_MS = 5_000;

/** Rejects after `ms`: a check that cannot answer is a failure, never a hang. */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

export async function controlRows(config: Config): Promise<DoctorRow[]> {
  const client = libsqlClient(config.CONTROL_DB_URL, config.CONTROL_DB_TOKEN);
  try {
    await within(NETWORK_TIMEOUT_MS, client.execute("SELECT 1"));
    const pending = await within(NETWORK_TIMEOUT_MS, pendingMigrations(client, loadMigrations("control")));
    return [
      pass("control database", "reachable with CONTROL_DB_TOKEN"),
      pending.length === 0
        ? pass("control migrations", "up to date")
        : fail(
            "control migrations",
            `${pending.length} pending (${pending.join(", ")})`,
            "npm run islet -- migrate",
          ),
    ];
  } catch (error) {
    return [
      fail(
        "control database",
        unreachable(error) ?? message(error),
        "check CONTROL_DB_URL and CONTROL_DB_TOKEN (turso db show --url; turso db tokens create)",
      ),
    ];
  } finally {
    client.close();
  }
}

export async function provisionerRows(config: Config): Promise<DoctorRow[]> {
  if (config.PROVISIONER === "local") {
    try {
      const names = await within(NETWORK_TIMEOUT_MS, provisionerFor(config).list());
      return [pass("devdb admin API", `${names.length} namespaces`)];
    } catch (error) {
      return [
        fail("devdb admin API", message(error), "npm start (or npm run devdb), and check DEVDB_ADMIN_URL"),
      ];
    }
  }
  const turso = new TursoProvisioner({
    apiUrl: config.TURSO_API_URL,
    org: config.TURSO_ORG ?? "",
    apiToken: config.TURSO_API_TOKEN ?? "",
    groupPrefix: config.TURSO_GROUP,
  });
  let groups: string[];
  try {
    // Read-only: listing groups proves the token reaches the organization.
    groups = await within(NETWORK_TIMEOUT_MS, turso.groups());
  } catch (error) {
    return [
      fail(
        "Turso API token",
        message(error),
        "a Platform API token of TURSO_ORG: turso auth api-tokens mint islet",
      ),
    ];
  }
  const missing = REGIONS.filter((region) => !groups.includes(turso.groupOf(region)));
  return [
    pass("Turso API token", `reaches ${config.TURSO_ORG} (${groups.length} groups)`),
    missing.length === 0
      ? pass("Turso groups", REGIONS.map((r) => turso.groupOf(r)).join(", "))
      : fail(
          "Turso groups",
          `missing ${missing.map((r) => turso.groupOf(r)).join(", ")}`,
          "npm run islet -- setup turso",
        ),
  ];
}
