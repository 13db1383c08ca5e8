// `doctor`: the configuration by the rules of its ENVIRONMENT (production's or the local ones, and
// the table's first row says which), the databases, Turso and wrangler.toml (checks in cli/doctor/).
import { join } from "node:path";
import type { Command } from "commander";
import { loadVars, root } from "../context";
import { readWrangler, runDoctor, wranglerVars } from "../doctor";
import { emit, table } from "../output";
import type { CommandKit } from "./kit";

export function registerDoctor(program: Command, { run, out, globals }: CommandKit): void {
  program
    .command("doctor")
    .description(
      "the configuration by its ENVIRONMENT's rules (the first row says local or production), the databases, Turso and wrangler.toml; a table with fixes",
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
}
