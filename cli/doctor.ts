// `islet doctor`: every check the Worker makes of its configuration at start (src/config.ts), and
// what only an operator's machine can check: the secrets a deploy must set, mail and sign-in
// settings, that the databases and the Turso organization answer with the tokens given, and that
// wrangler.toml binds what the code needs. Each check is a row: pass, fail or skip, with the fix.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { type Config, PRODUCTION_SECRETS, parseConfig } from "../src/config";
import { libsqlClient } from "../src/db/libsql";
import { loadMigrations } from "../src/db/migration-files";
import { pendingMigrations } from "../src/db/migrator";
import { importKeyring } from "../src/lib/crypto";
import { REGIONS } from "../src/lib/tenancy";
import { ProvisionError, provisionerFor } from "../src/provision";
import { TursoProvisioner } from "../src/provision/turso";
import { oidcProblem } from "../src/services/auth";
// The certificate module itself: the lifecycle index pulls in the sandbox (QuickJS WebAssembly).
import { platformJwks } from "../src/services/lifecycle/certificate";
import { resolveMailConfig } from "../src/services/mail";
import { root } from "./context";

export interface DoctorRow {
  check: string;
  result: "pass" | "fail" | "skip";
  detail: string;
  fix: string;
}

/** The newest compatibility date the pinned workerd (and so the test suite) runs. */
export const MAX_COMPATIBILITY_DATE = "2026-11-01";
const NETWORK_TIMEOUT_MS = 5_000;

const pass = (check: string, detail = ""): DoctorRow => ({ check, result: "pass", detail, fix: "" });
const fail = (check: string, detail: string, fix: string): DoctorRow => ({
  check,
  result: "fail",
  detail,
  fix,
});
const skip = (check: string, detail: string): DoctorRow => ({ check, result: "skip", detail, fix: "" });

const message = (error: unknown) =>
  error instanceof ProvisionError && error.status
    ? `${error.message} (HTTP ${error.status})`
    : error instanceof Error
      ? error.message
      : String(error);

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

type Wrangler = Record<string, unknown>;

/** The wrangler.toml section a deploy with `--env <env>` uses (bindings are not inherited). */
function section(toml: Wrangler, env: string | undefined): Wrangler {
  if (!env) return toml;
  const envs = (toml.env ?? {}) as Record<string, Wrangler>;
  return envs[env] ?? {};
}

export function readWrangler(path = join(root, "wrangler.toml")): Wrangler {
  return parseToml(readFileSync(path, "utf8")) as Wrangler;
}

/** The vars a deploy with `--env <env>` gets from wrangler.toml, under the secrets file's. */
export function wranglerVars(toml: Wrangler, env: string | undefined): Record<string, string> {
  const vars = (section(toml, env).vars ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, String(v)]));
}

/** Which secrets this configuration needs, and the rows for each. */
function secretRows(vars: Record<string, string>, production: boolean, envFlag: string): DoctorRow[] {
  const needed: Record<(typeof PRODUCTION_SECRETS)[number], boolean> = {
    CONTROL_DB_TOKEN: production,
    TURSO_API_TOKEN: production || vars.PROVISIONER === "turso",
    ISLET_KEYRING: true,
    SESSION_JWT_SECRET: true,
    PLATFORM_SIGNING_KEYS: production,
    MAIL_API_KEY: production ? vars.MAIL_PROVIDER !== "outbox" : vars.MAIL_PROVIDER === "resend",
    OIDC_CLIENT_SECRETS: (vars.OIDC_PROVIDERS ?? "[]").trim() !== "[]",
    OPERATOR_TOKENS: production,
  };
  return PRODUCTION_SECRETS.map((name) => {
    const check = `secret ${name}`;
    const present =
      (vars[name] ?? "").trim() !== "" && !(name === "OPERATOR_TOKENS" && vars[name]?.trim() === "{}");
    if (present) return pass(check, "set");
    if (!needed[name])
      return skip(check, production ? "not used by this configuration" : "not needed outside production");
    return fail(check, "missing", `npx wrangler secret put ${name}${envFlag} (and add it to the env file)`);
  });
}

async function controlRows(config: Config): Promise<DoctorRow[]> {
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
        message(error),
        "check CONTROL_DB_URL and CONTROL_DB_TOKEN (turso db show --url; turso db tokens create)",
      ),
    ];
  } finally {
    client.close();
  }
}

async function provisionerRows(config: Config): Promise<DoctorRow[]> {
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

async function keyRows(config: Config): Promise<DoctorRow[]> {
  const rows: DoctorRow[] = [];
  try {
    await importKeyring(config.ISLET_KEYRING);
    rows.push(
      pass(
        "keyring",
        `active version ${config.ISLET_KEYRING.active}, ${Object.keys(config.ISLET_KEYRING.keys).length} key(s)`,
      ),
    );
  } catch (error) {
    rows.push(fail("keyring", message(error), "each ISLET_KEYRING key is base64 of 32 random bytes"));
  }
  if (!config.PLATFORM_SIGNING_KEYS)
    rows.push(skip("platform signing key", "not set (required in production)"));
  else {
    try {
      const jwks = await platformJwks(config);
      rows.push(
        pass(
          "platform signing key",
          `active ${config.PLATFORM_SIGNING_KEYS.active}, ${jwks.keys.length} published`,
        ),
      );
    } catch (error) {
      rows.push(
        fail("platform signing key", message(error), "each key is base64 of a PKCS#8 Ed25519 private key"),
      );
    }
  }
  return rows;
}

/** DO, queue and cron bindings and the compatibility date, in the section the deploy uses. */
export function wranglerRows(toml: Wrangler, env: string | undefined, today = new Date()): DoctorRow[] {
  const where = env ? `[env.${env}]` : "wrangler.toml";
  const own = section(toml, env);
  const rows: DoctorRow[] = [];
  const date = String(own.compatibility_date ?? toml.compatibility_date ?? "");
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date))
    rows.push(fail("compatibility date", "missing", `compatibility_date = "${MAX_COMPATIBILITY_DATE}"`));
  else if (date > MAX_COMPATIBILITY_DATE || date > today.toISOString().slice(0, 10))
    rows.push(
      fail(
        "compatibility date",
        `${date} is newer than the tested ${MAX_COMPATIBILITY_DATE}`,
        `compatibility_date = "${MAX_COMPATIBILITY_DATE}"`,
      ),
    );
  else rows.push(pass("compatibility date", date));
  const flags = (own.compatibility_flags ?? toml.compatibility_flags ?? []) as string[];
  rows.push(
    flags.includes("nodejs_compat")
      ? pass("nodejs_compat flag")
      : fail("nodejs_compat flag", "missing", 'compatibility_flags = ["nodejs_compat"]'),
  );
  const objects = ((
    own.durable_objects as { bindings?: { name?: string; class_name?: string }[] } | undefined
  )?.bindings ?? []) as { name?: string; class_name?: string }[];
  const migrated = ((toml.migrations ?? []) as { new_sqlite_classes?: string[] }[]).flatMap(
    (m) => m.new_sqlite_classes ?? [],
  );
  for (const [name, className] of [
    ["GATEKEEPER", "Gatekeeper"],
    ["TENANT_HUB", "TenantHub"],
  ] as const) {
    const bound = objects.some((b) => b.name === name && b.class_name === className);
    rows.push(
      !bound
        ? fail(
            `Durable Object ${name}`,
            `not bound in ${where}`,
            `[[${env ? `env.${env}.` : ""}durable_objects.bindings]] name = "${name}" class_name = "${className}"`,
          )
        : !migrated.includes(className)
          ? fail(
              `Durable Object ${name}`,
              `${className} has no [[migrations]] entry`,
              `[[migrations]] new_sqlite_classes = ["${className}"]`,
            )
          : pass(`Durable Object ${name}`, className),
    );
  }
  const queues = (own.queues ?? {}) as {
    producers?: { binding?: string; queue?: string }[];
    consumers?: { queue?: string; dead_letter_queue?: string }[];
  };
  const producer = queues.producers?.find((p) => p.binding === "WEBHOOKS");
  const consumer = queues.consumers?.find((c) => c.queue === producer?.queue);
  rows.push(
    !producer
      ? fail(
          "queue WEBHOOKS",
          `no producer in ${where}`,
          "npx wrangler queues create islet-webhooks; bind it as WEBHOOKS",
        )
      : !consumer
        ? fail(
            "queue WEBHOOKS",
            `no consumer of ${producer.queue}`,
            "a [[queues.consumers]] entry for the queue",
          )
        : !consumer.dead_letter_queue
          ? fail(
              "queue WEBHOOKS",
              "no dead-letter queue",
              'dead_letter_queue = "islet-webhooks-dlq" (wrangler queues create it)',
            )
          : pass("queue WEBHOOKS", `${producer.queue}, dead letters to ${consumer.dead_letter_queue}`),
  );
  const crons = ((own.triggers ?? toml.triggers) as { crons?: string[] } | undefined)?.crons ?? [];
  rows.push(
    crons.length > 0
      ? pass("cron trigger", crons.join(", "))
      : fail(
          "cron trigger",
          "none: retention, deletions, gc and backups never run",
          '[triggers] crons = ["17 3 * * *"]',
        ),
  );
  return rows;
}

/**
 * Every check, in order. `vars` is what the Worker would see (wrangler.toml's vars for the env,
 * then the env file, then the process environment).
 */
export async function runDoctor(opts: {
  vars: Record<string, string>;
  toml: Wrangler;
  env: string | undefined;
  network?: boolean;
}): Promise<DoctorRow[]> {
  const { vars, toml, env } = opts;
  const production = vars.ENVIRONMENT === "production";
  const rows = secretRows(vars, production, env ? ` --env ${env}` : "");
  const parsed = parseConfig({ ...vars });
  if (!parsed.ok) {
    for (const problem of parsed.problems)
      rows.push(fail("configuration", problem, "see .dev.vars.example and the README's Configuration table"));
  } else
    rows.push(
      pass("configuration", `${parsed.config.ENVIRONMENT}, provisioner ${parsed.config.PROVISIONER}`),
    );
  if (parsed.ok) {
    const mail = resolveMailConfig(vars, parsed.config);
    rows.push(
      typeof mail === "string"
        ? fail("mail", mail, "MAIL_PROVIDER=resend with MAIL_API_KEY (and MAIL_FROM on a verified domain)")
        : pass(
            "mail",
            mail.MAIL_PROVIDER === "outbox" ? "dev outbox" : `${mail.MAIL_PROVIDER} from ${mail.MAIL_FROM}`,
          ),
    );
  }
  const oidc = oidcProblem(vars);
  rows.push(
    oidc
      ? fail(
          "sign-in providers",
          oidc,
          "OIDC_PROVIDERS (var) and OIDC_CLIENT_SECRETS (secret) of the same ids",
        )
      : pass("sign-in providers", (vars.OIDC_PROVIDERS ?? "[]") === "[]" ? "none configured" : "valid"),
  );
  if (parsed.ok) {
    rows.push(...(await keyRows(parsed.config)));
    if (opts.network !== false) {
      rows.push(...(await controlRows(parsed.config)));
      rows.push(...(await provisionerRows(parsed.config)));
    }
  }
  rows.push(...wranglerRows(toml, env));
  return rows;
}
