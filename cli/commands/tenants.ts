// `tenants …`: every workspace's database. Migrations (migrate.ts) and backups (backups.ts)
// register their own subcommands here, in the order the help lists them.
import { type Command, Option } from "commander";
import { collectGarbage, listTenants, scanTenants } from "../../src/services/operator";
import { emit, progress, table } from "../output";
import { registerBackups } from "./backups";
import { type CommandKit, positiveInt } from "./kit";
import { registerTenantsMigrate } from "./migrate";

export function registerTenants(program: Command, kit: CommandKit): void {
  const { run, out, ctxOf } = kit;
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

  registerTenantsMigrate(tenants, kit);

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

  registerBackups(tenants, kit);

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
}
