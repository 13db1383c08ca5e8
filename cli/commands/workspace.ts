// `workspace show`: one workspace as an operator needs it, never its database token.
// `workspace plan`: the operator action that changes a plan (architecture §4), audited in the
// workspace's own log and the platform log.
import { Argument, type Command, Option } from "commander";
import { PLAN_IDS, type PlanId } from "../../src/lib/plans";
import { setWorkspacePlan, showTenant } from "../../src/services/operator";
import { emit, table } from "../output";
import { type CommandKit, UsageError } from "./kit";

/** Locally a plan change needs no story; in production the audit trail says why (--reason). */
const LOCAL_REASON = "local development: set with the operator CLI";

export function registerWorkspace(program: Command, { run, out, ctxOf }: CommandKit): void {
  const workspace = program.command("workspace").description("one workspace: show it, change its plan");
  workspace
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
  workspace
    .command("plan")
    .description("set a workspace's plan (audited in its own log and the platform log)")
    .argument("<id>", "workspace id")
    .addArgument(new Argument("<plan>", "the plan").choices(PLAN_IDS))
    .addOption(new Option("--reason <why>", "why, for the audit logs (required in production)"))
    .action(
      run(async (workspaceId: string, plan: PlanId, opts: { reason?: string }, cmd: Command) => {
        const ctx = ctxOf(cmd);
        if (opts.reason === undefined && ctx.config.ENVIRONMENT === "production")
          throw new UsageError("--reason is required in production: the audit logs say why a plan changed");
        const after = await setWorkspacePlan({
          ctx,
          input: { workspaceId, plan, reason: opts.reason ?? LOCAL_REASON },
        });
        emit(out(cmd), after, () => console.log(`${after.id} is now on the ${after.plan} plan`));
        return 0;
      }),
    );
}
