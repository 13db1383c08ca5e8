// `workspace show`: one workspace as an operator needs it, never its database token.
import type { Command } from "commander";
import { showTenant } from "../../src/services/operator";
import { emit, table } from "../output";
import type { CommandKit } from "./kit";

export function registerWorkspace(program: Command, { run, out, ctxOf }: CommandKit): void {
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
}
