// `tenants backups | backup | restore`: a workspace's backup points, and a restore into a new
// database that is swapped in (audited; the database as it was is kept as a backup).
import type { Command } from "commander";
import { listBackups, restoreBackup, takeBackup } from "../../src/services/backups";
import { emit, table } from "../output";
import type { CommandKit } from "./kit";

export function registerBackups(tenants: Command, { run, out, ctxOf }: CommandKit): void {
  tenants
    .command("backups")
    .description("a workspace's backups, newest first (10 are kept)")
    .argument("<workspace>", "workspace id")
    .action(
      run(async (workspaceId: string, _opts: object, cmd: Command) => {
        const backups = await listBackups({ ctx: ctxOf(cmd), input: { workspaceId } });
        emit(out(cmd), backups, () =>
          table(backups, ["id", "createdAt", "reason", "kind", "dbName", "restorableUntil"]),
        );
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
}
