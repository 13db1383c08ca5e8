// islet operator CLI: `npm run islet -- <command>`; `--help` on any command says what it takes.
// It runs under Node with the Worker's own code and configuration (.dev.vars, or --env-file,
// overridden by the process environment). Exit codes: 0 done, 1 the work failed (a tenant, a
// check), 2 the command line was wrong — never a stack trace.

import { existsSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import type { Config } from "../src/config";
import { loadMigrations, migrateControl } from "../src/db/migration-files";
import { ApiError } from "../src/lib/errors";
import { setLogSink } from "../src/lib/logger";
import { REGIONS } from "../src/lib/tenancy";
import { ProvisionError } from "../src/provision";
import { TursoProvisioner } from "../src/provision/turso";
import { listBackups, restoreBackup, takeBackup } from "../src/services/backups";
import {
  collectGarbage,
  fanOutMigrations,
  keyringStatus,
  listTenants,
  mayDropVersion,
  planIncidentRotation,
  type RotationReport,
  revokeEverySession,
  rotateKeyring,
  scanTenants,
  showTenant,
} from "../src/services/operator";
import { loadConfig, loadVars, migrationsFrom, operatorContext, root } from "./context";
import { readWrangler, runDoctor, wranglerVars } from "./doctor";
import { emit, type Output, progress, table } from "./output";

/** A wrong command line found by a command itself (commander reports its own): exit 2, one line. */
class UsageError extends Error {}

interface GlobalOptions {
  envFile?: string;
  json: boolean;
}

function positiveInt(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new InvalidArgumentError(`expected an integer from 1 to ${max}`);
    return n;
  };
}

/** Builds the program; `done(code)` receives each command's exit code. */
export function buildProgram(done: (code: number) => void): Command {
  const program = new Command("islet")
    .description("islet operator CLI: tenants, keys, backups, configuration checks")
    .addOption(new Option("--env-file <path>", "configuration file (default .dev.vars)"))
    .option("--json", "machine-readable output on stdout", false)
    .exitOverride()
    .showSuggestionAfterError(true);

  const globals = (cmd: Command): GlobalOptions => cmd.optsWithGlobals() as GlobalOptions;
  const config = (cmd: Command): Config => loadConfig(loadVars(globals(cmd).envFile));
  const out = (cmd: Command): Output => ({ json: globals(cmd).json });
  const ctxOf = (cmd: Command) => operatorContext(config(cmd));
  /** Wraps an action: its number is the exit code. */
  const run =
    <A extends unknown[]>(action: (...args: A) => Promise<number>) =>
    async (...args: A) =>
      done(await action(...args));

  const tenants = program
    .command("tenants")
    .description("every workspace's database: list, migrate, scan, back up, restore, collect");

  tenants
    .command("list")
    .description("every workspace with region, plan and status")
    .action(
      run(async (_opts: object, cmd: Command) => {
        const rows = (await listTenants({ ctx: ctxOf(cmd) })).map((w) => ({
          id: w.id,
          slug: w.slug,
          region: w.region,
          plan: w.plan,
          status: w.status,
          db: w.dbName,
        }));
        emit(out(cmd), rows, () => table(rows));
        return 0;
      }),
    );

  const migrateTenants = async (
    cmd: Command,
    opts: { concurrency: number; dir?: string; tenantTimeout: number },
  ): Promise<number> => {
    const o = out(cmd);
    const bar = progress(o, "tenants");
    const migrations = opts.dir ? migrationsFrom(resolve(opts.dir)) : loadMigrations("tenant");
    const results = await fanOutMigrations({
      ctx: ctxOf(cmd),
      input: {
        migrations,
        concurrency: opts.concurrency,
        tenantTimeoutMs: opts.tenantTimeout * 1000,
        onProgress: (status, n, total) => bar.tick(n, total, `${status.slug} ${status.status}`),
      },
    });
    bar.stop();
    const failed = results.filter((r) => r.status === "failed");
    const rows = results.map((r) => ({
      workspace: r.workspaceId,
      slug: r.slug,
      status: r.status,
      applied: r.applied.join(" "),
      backup: r.backupId ?? "",
      ms: r.ms,
      error: r.error ?? "",
    }));
    emit(o, { tenants: rows, failed: failed.length }, () => {
      table(rows);
      console.log(`tenants: ${results.length - failed.length} ok, ${failed.length} failed`);
      if (failed.length > 0)
        console.log(
          "Failed tenants keep their data and backup; fix the cause and rerun: done ones are skipped.",
        );
    });
    return failed.length > 0 ? 1 : 0;
  };

  tenants
    .command("migrate")
    .description(
      "tenant migrations on every active workspace: a backup point first, resumable, failures reported",
    )
    .addOption(new Option("--concurrency <n>", "tenants at a time").argParser(positiveInt(64)).default(8))
    .addOption(
      new Option("--tenant-timeout <s>", "seconds per tenant before it is reported failed")
        .argParser(positiveInt(3600))
        .default(120),
    )
    .option("--dir <path>", "tenant migrations folder (default migrations/tenant)")
    .action(
      run(async (opts: { concurrency: number; dir?: string; tenantTimeout: number }, cmd: Command) =>
        migrateTenants(cmd, opts),
      ),
    );

  program
    .command("migrate")
    .description("the control database's migrations, then `tenants migrate`")
    .addOption(new Option("--concurrency <n>", "tenants at a time").argParser(positiveInt(64)).default(8))
    .addOption(
      new Option("--tenant-timeout <s>", "seconds per tenant before it is reported failed")
        .argParser(positiveInt(3600))
        .default(120),
    )
    .option("--dir <path>", "tenant migrations folder (default migrations/tenant)")
    .action(
      run(async (opts: { concurrency: number; dir?: string; tenantTimeout: number }, cmd: Command) => {
        const c = config(cmd);
        const applied = await migrateControl({ url: c.CONTROL_DB_URL, token: c.CONTROL_DB_TOKEN });
        if (!out(cmd).json) console.log(`control: ${applied.length ? applied.join(", ") : "up to date"}`);
        return migrateTenants(cmd, opts);
      }),
    );

  tenants
    .command("gc")
    .description(
      "destroy workspaces abandoned mid-provisioning (15 min) and databases no workspace or backup names",
    )
    .option("--dry-run", "report, destroy nothing", false)
    .action(
      run(async (opts: { dryRun: boolean }, cmd: Command) => {
        const report = await collectGarbage({ ctx: ctxOf(cmd), input: { dryRun: opts.dryRun } });
        const rows = [
          ...report.abandoned.map((r) => ({
            kind: "abandoned provisioning",
            workspace: r.workspaceId,
            database: r.dbName,
            outcome: r.outcome,
            error: r.error ?? "",
          })),
          ...report.orphans.map((r) => ({
            kind: "orphan database",
            workspace: "",
            database: r.dbName,
            outcome: r.outcome,
            error: r.error ?? "",
          })),
        ];
        emit(out(cmd), report, () => (rows.length === 0 ? console.log("nothing to collect") : table(rows)));
        return rows.some((r) => r.outcome === "failed") ? 1 : 0;
      }),
    );

  tenants
    .command("backups")
    .description("a workspace's backups, newest first (10 are kept)")
    .argument("<workspace>", "workspace id")
    .action(
      run(async (workspaceId: string, _opts: object, cmd: Command) => {
        const backups = await listBackups({ ctx: ctxOf(cmd), input: { workspaceId } });
        emit(out(cmd), backups, () => table(backups, ["id", "createdAt", "reason", "kind", "dbName"]));
        return 0;
      }),
    );

  tenants
    .command("backup")
    .description("record a backup point of a workspace now")
    .argument("<workspace>", "workspace id")
    .action(
      run(async (workspaceId: string, _opts: object, cmd: Command) => {
        const backup = await takeBackup({ ctx: ctxOf(cmd), input: { workspaceId } });
        emit(out(cmd), backup, () => console.log(`backup ${backup.id} (${backup.kind}) of ${backup.dbName}`));
        return 0;
      }),
    );

  tenants
    .command("restore")
    .description(
      "restore a workspace from a backup into a new database and swap it in (audited; deleted workspaces refused)",
    )
    .argument("<workspace>", "workspace id")
    .argument("<backup>", "backup id (see `tenants backups <workspace>`)")
    .requiredOption("--reason <text>", "why (at least 8 characters; recorded in both audit logs)")
    .action(
      run(async (workspaceId: string, backupId: string, opts: { reason: string }, cmd: Command) => {
        const result = await restoreBackup({
          ctx: ctxOf(cmd),
          input: { workspaceId, backupId, reason: opts.reason },
        });
        emit(out(cmd), result, () =>
          console.log(
            `restored ${workspaceId} to ${result.backup.createdAt}: database ${result.previousDbName} → ${result.dbName}\n` +
              `the database as it was is backup ${result.safetyBackup.id}`,
          ),
        );
        return 0;
      }),
    );

  tenants
    .command("scan")
    .description(
      "integrity scan of every tenant: audit triggers, hash chain, schema, reserved objects, sealed records",
    )
    .addOption(new Option("--concurrency <n>", "tenants at a time").argParser(positiveInt(64)).default(4))
    .option("--workspace <id>", "scan this workspace only")
    .action(
      run(async (opts: { concurrency: number; workspace?: string }, cmd: Command) => {
        const o = out(cmd);
        const bar = progress(o, "scan");
        const scans = await scanTenants({
          ctx: ctxOf(cmd),
          input: {
            concurrency: opts.concurrency,
            workspaceId: opts.workspace,
            onProgress: (s, n, total) => bar.tick(n, total, s.slug),
          },
        });
        bar.stop();
        const failed = scans.filter((s) => !s.ok);
        const rows = scans.map((s) => ({
          workspace: s.workspaceId,
          slug: s.slug,
          result: s.ok ? "pass" : "FAIL",
          ...Object.fromEntries(
            Object.entries(s.checks).map(([k, v]) => [k, v.length === 0 ? "ok" : v.join("; ")]),
          ),
          events: s.auditEvents,
        }));
        emit(o, { tenants: scans, failed: failed.length }, () => {
          table(rows);
          console.log(`scanned ${scans.length}: ${scans.length - failed.length} pass, ${failed.length} fail`);
        });
        return failed.length > 0 ? 1 : 0;
      }),
    );

  program
    .command("workspace")
    .description("one workspace")
    .command("show")
    .description("a workspace's settings, members, live keys and backups (never its database token)")
    .argument("<id>", "workspace id")
    .action(
      run(async (workspaceId: string, _opts: object, cmd: Command) => {
        const detail = await showTenant({ ctx: ctxOf(cmd), input: { workspaceId } });
        emit(out(cmd), detail, () => {
          const w = detail.workspace;
          table(
            Object.entries({
              ...w,
              createdAt: new Date(w.createdAt).toISOString(),
              updatedAt: new Date(w.updatedAt).toISOString(),
              liveKeys: detail.liveKeys,
            }).map(([field, value]) => ({ field, value })),
          );
          console.log("\nmembers");
          table(detail.members);
          console.log("\nbackups");
          table(detail.backups, ["id", "createdAt", "reason", "kind"]);
        });
        return 0;
      }),
    );

  const keyring = program.command("keyring").description("the AES-256-GCM keyring sealing stored secrets");
  keyring
    .command("status")
    .description("how many records each keyring version still encrypts, by sealed column")
    .action(
      run(async (_opts: object, cmd: Command) => {
        const status = await keyringStatus({ ctx: ctxOf(cmd) });
        emit(out(cmd), status, () => {
          console.log(`active version: ${status.active}`);
          table(
            Object.entries(status.versions).map(([version, counts]) => ({
              version,
              records: Object.values(counts).reduce((a, b) => a + b, 0),
              ...counts,
            })),
          );
          if (status.unreachable.length)
            console.log(`not checked (unreachable): ${status.unreachable.join(", ")}`);
        });
        return 0;
      }),
    );
  keyring
    .command("rotate")
    .description("re-encrypt every sealed record (control and tenants) under the active version; resumable")
    .action(
      run(async (_opts: object, cmd: Command) => {
        const o = out(cmd);
        const bar = progress(o, "tenants");
        const report = await rotateKeyring({
          ctx: ctxOf(cmd),
          input: { onProgress: (n, total) => bar.tick(n, total) },
        });
        bar.stop();
        emit(o, report, () => {
          table(Object.entries(report.columns).map(([column, c]) => ({ column, ...c })));
          printRotationProblems(report);
        });
        return rotationIncomplete(report) ? 1 : 0;
      }),
    );
  keyring
    .command("drop")
    .description("print the keyring without <version>; refused while any record uses it")
    .argument("<version>", "keyring version", positiveInt(1_000_000))
    .action(
      run(async (version: number, _opts: object, cmd: Command) => {
        const c = config(cmd);
        const verdict = mayDropVersion(await keyringStatus({ ctx: operatorContext(c) }), version);
        if (!verdict.ok) {
          console.error(`refused: version ${version} cannot be dropped: ${verdict.reason}`);
          return 1;
        }
        const { [String(version)]: _, ...keys } = c.ISLET_KEYRING.keys;
        console.log("No record uses it. Set ISLET_KEYRING to (wrangler secret put ISLET_KEYRING):");
        console.log(JSON.stringify({ active: c.ISLET_KEYRING.active, keys }));
        return 0;
      }),
    );

  program
    .command("incident")
    .description("incident response")
    .command("rotate")
    .description("new keyring version and session secret, every session revoked, everything re-encrypted")
    .option("--yes", "do not ask for confirmation", false)
    .action(run(async (opts: { yes: boolean }, cmd: Command) => incidentRotate(cmd, opts.yes)));

  program
    .command("doctor")
    .description(
      "every check production would run, and the databases, Turso and wrangler.toml; a table with fixes",
    )
    .option(
      "--env <name>",
      "the wrangler environment to check (default: production when ENVIRONMENT=production)",
    )
    .option("--wrangler <path>", "wrangler.toml to check", join(root, "wrangler.toml"))
    .option("--offline", "skip the checks that call the databases and Turso", false)
    .action(
      run(async (opts: { env?: string; wrangler: string; offline: boolean }, cmd: Command) => {
        const fileVars = loadVars(globals(cmd).envFile);
        const toml = readWrangler(opts.wrangler);
        const env = opts.env ?? (fileVars.ENVIRONMENT === "production" ? "production" : undefined);
        const vars = { ...wranglerVars(toml, env), ...fileVars };
        const rows = await runDoctor({ vars, toml, env, network: !opts.offline });
        const failed = rows.filter((r) => r.result === "fail").length;
        emit(out(cmd), { checks: rows, failed }, () => {
          table(rows.map((r) => ({ ...r, result: r.result === "fail" ? "FAIL" : r.result })));
          console.log(failed === 0 ? "all checks pass" : `${failed} check(s) failed`);
        });
        return failed > 0 ? 1 : 0;
      }),
    );

  program
    .command("setup")
    .description("one-time setup of a provider")
    .command("turso")
    .description(
      "create the per-region Turso groups and the control database; its token goes to a file, never the screen",
    )
    .option("--control-db <name>", "control database name", "islet-control")
    .option("--region <region>", `control database region (${REGIONS.join(", ")})`, "us-east")
    .option("--out <file>", "where the control database's URL and token are written (mode 600)")
    .action(
      run(async (opts: { controlDb: string; region: string; out?: string }, cmd: Command) => {
        const c = config(cmd);
        const region = REGIONS.find((r) => r === opts.region);
        if (!region) throw new UsageError(`--region must be one of ${REGIONS.join(", ")}`);
        if (!c.TURSO_ORG || !c.TURSO_API_TOKEN)
          throw new ApiError("misconfigured", "TURSO_ORG and TURSO_API_TOKEN are needed");
        const turso = new TursoProvisioner({
          apiUrl: c.TURSO_API_URL,
          org: c.TURSO_ORG,
          apiToken: c.TURSO_API_TOKEN,
          groupPrefix: c.TURSO_GROUP,
        });
        const groups: { group: string; outcome: string }[] = [];
        for (const r of REGIONS)
          groups.push({ group: turso.groupOf(r), outcome: await turso.ensureGroup(r) });
        const file = opts.out ?? `control-db-${new Date().toISOString().replace(/[:.]/g, "-")}.vars`;
        if (existsSync(file)) throw new UsageError(`--out ${file} exists; name a new file`);
        const control = await turso.create(opts.controlDb, region);
        writeFileSync(file, `CONTROL_DB_URL="${control.url}"\nCONTROL_DB_TOKEN="${control.token}"\n`, {
          mode: 0o600,
          flag: "wx", // a new file only: an existing one would keep its own mode
        });
        emit(
          out(cmd),
          { groups, controlDb: { name: opts.controlDb, url: control.url, tokenFile: file } },
          () => {
            table(groups);
            console.log(`control database ${opts.controlDb}: ${control.url}`);
            console.log(
              `its URL and token are in ${file} (mode 600). Set CONTROL_DB_URL in [env.production.vars] and`,
            );
            console.log(
              "npx wrangler secret put CONTROL_DB_TOKEN --env production; then npm run islet -- migrate --env-file prod.vars",
            );
          },
        );
        return 0;
      }),
    );

  /**
   * `incident rotate`: a fresh keyring version and session secret, written to a file only the
   * operator can read (never printed), a plan, a confirmation; then every session is revoked and
   * every sealed record re-encrypted under the new version.
   */
  async function incidentRotate(cmd: Command, yes: boolean): Promise<number> {
    const c = config(cmd);
    const ctx = operatorContext(c);
    const plan = await planIncidentRotation({ ctx });
    const file = `incident-${new Date().toISOString().replace(/[:.]/g, "-")}.vars`;
    writeFileSync(
      file,
      `ISLET_KEYRING='${JSON.stringify(plan.keyring)}'\nSESSION_JWT_SECRET="${plan.sessionSecret}"\n`,
      { mode: 0o600, flag: "wx" }, // a new file only: an existing one would keep its own mode
    );
    console.log(`Incident rotation. New values are in ${file} (mode 600); they are not printed.
  1. keyring: version ${plan.keyring.active} becomes active; versions ${Object.keys(c.ISLET_KEYRING.keys).join(", ")} stay readable
  2. session secret: replaced, with no previous secret: every access token stops at once
  3. sessions: all ${plan.liveSessions} live sessions revoked: no refresh token works again
  4. every sealed record (control and tenants) re-encrypted under version ${plan.keyring.active}
First set 1 and 2 on the Worker (wrangler secret put ISLET_KEYRING / SESSION_JWT_SECRET
[--env production]) and in this shell's configuration, then confirm.`);
    if (!yes) {
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      const answer = await rl.question('Type "rotate" to revoke every session and re-encrypt now: ');
      rl.close();
      if (answer.trim() !== "rotate") {
        console.log("Nothing changed.");
        return 1;
      }
    }
    const next = loadConfig({
      ...loadVars(globals(cmd).envFile),
      ISLET_KEYRING: JSON.stringify(plan.keyring),
    });
    const revoked = await revokeEverySession({ ctx, input: { reason: "incident rotate" } });
    console.log(`sessions revoked: ${revoked}`);
    const bar = progress(out(cmd), "tenants");
    const report = await rotateKeyring({
      ctx: operatorContext(next),
      input: { onProgress: (n, total) => bar.tick(n, total) },
    });
    bar.stop();
    console.log(`re-encrypted ${report.rotated}, already current ${report.alreadyCurrent}`);
    printRotationProblems(report);
    console.log(
      "When keyring status shows nothing left under the old versions, drop them (keyring drop <v>).",
    );
    return rotationIncomplete(report) ? 1 : 0;
  }

  return program;
}

/** A failure as one line: our errors say what is wrong; anything else is reported by name only. */
/** A rotation that left a record behind: a record it could not re-encrypt, a tenant it could not open. */
const rotationIncomplete = (report: RotationReport) => report.failed.length + report.unreachable.length > 0;

function printRotationProblems(report: RotationReport): void {
  console.log(`failed ${report.failed.length}, unreachable workspaces ${report.unreachable.length}`);
  for (const f of report.failed) console.log(`  ${f.column} ${f.workspaceId}/${f.id}: ${f.error}`);
  for (const u of report.unreachable) console.log(`  workspace ${u.workspaceId} not reached: ${u.error}`);
}

function describe(error: unknown): string {
  if (error instanceof ApiError || error instanceof ProvisionError) return error.message;
  if (error instanceof Error) return error.message.split("\n").join("\n  ");
  return String(error);
}

export async function main(argv: string[]): Promise<number> {
  // The services' structured logs go to stderr: stdout is the command's answer (and --json's).
  setLogSink((line) => process.stderr.write(`${line}\n`));
  let code = 0;
  const program = buildProgram((c) => {
    code = c;
  });
  if (argv.length === 0) {
    program.outputHelp();
    return 0;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version are not failures; every other parse error is a usage error.
      return error.code === "commander.helpDisplayed" || error.code === "commander.version" ? 0 : 2;
    }
    if (error instanceof UsageError) {
      console.error(`error: ${error.message}`);
      return 2;
    }
    console.error(`islet: ${describe(error)}`);
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`islet: ${describe(error)}`);
      process.exit(1);
    },
  );
}
