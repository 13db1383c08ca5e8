// `setup turso`: one-time setup of the Turso provider — a group per region and the control
// database, whose token goes to a new file (mode 600), never to the screen.
import { existsSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { ApiError } from "../../src/lib/errors";
import { REGIONS } from "../../src/lib/tenancy";
import { TursoProvisioner } from "../../src/provision/turso";
import { emit, table } from "../output";
import { type CommandKit, UsageError } from "./kit";

export function registerSetup(program: Command, { run, out, config }: CommandKit): void {
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
}
