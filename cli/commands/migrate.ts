// `migrate` (the control database, then every tenant) and `tenants migrate` (every tenant): tenant
// migrations fan out over the active workspaces, each with a backup point first, resumable.
import { resolve } from "node:path";
import { type Command, Option } from "commander";
import { loadMigrations, migrateControl } from "../../src/db/migration-files";
import { fanOutMigrations } from "../../src/services/operator";
import { migrationsFrom } from "../context";
import { emit, progress, table } from "../output";
import { type CommandKit, positiveInt } from "./kit";

interface MigrateOptions {
  concurrency: number;
  dir?: string;
  tenantTimeout: number;
}

/** The options both commands take. */
function withMigrateOptions(command: Command): Command {
  return command
    .addOption(new Option("--concurrency <n>", "tenants at a time").argParser(positiveInt(64)).default(8))
    .addOption(
      new Option("--tenant-timeout <s>", "seconds per tenant before it is reported failed")
        .argParser(positiveInt(3600))
        .default(120),
    )
    .option("--dir <path>", "tenant migrations folder (default migrations/tenant)");
}

async function migrateTenants(kit: CommandKit, cmd: Command, opts: MigrateOptions): Promise<number> {
  const o = kit.out(cmd);
  const bar = progress(o, "tenants");
  const migrations = opts.dir ? migrationsFrom(resolve(opts.dir)) : loadMigrations("tenant");
  const results = await fanOutMigrations({
    ctx: kit.ctxOf(cmd),
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
}

/** `tenants migrate`. */
export function registerTenantsMigrate(tenants: Command, kit: CommandKit): void {
  withMigrateOptions(
    tenants
      .command("migrate")
      .description(
        "tenant migrations on every active workspace: a backup point first, resumable, failures reported",
      ),
  ).action(kit.run(async (opts: MigrateOptions, cmd: Command) => migrateTenants(kit, cmd, opts)));
}

/** `migrate`: the control database's migrations, then `tenants migrate`. */
export function registerMigrate(program: Command, kit: CommandKit): void {
  withMigrateOptions(
    program.command("migrate").description("the control database's migrations, then `tenants migrate`"),
  ).action(
    kit.run(async (opts: MigrateOptions, cmd: Command) => {
      const c = kit.config(cmd);
      const applied = await migrateControl({ url: c.CONTROL_DB_URL, token: c.CONTROL_DB_TOKEN });
      if (!kit.out(cmd).json) console.log(`control: ${applied.length ? applied.join(", ") : "up to date"}`);
      return migrateTenants(kit, cmd, opts);
    }),
  );
}
