// islet operator CLI: `npm run islet -- <command>`; `--help` on any command says what it takes.
// It runs under Node with the Worker's own code and configuration (.dev.vars, or --env-file,
// overridden by the process environment). Exit codes: 0 done, 1 the work failed (a tenant, a
// check), 2 the command line was wrong — never a stack trace. Each command group lives in
// cli/commands/ and registers its subcommands here, in the order `--help` lists them.

import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { ApiError } from "../src/lib/errors";
import { setLogSink } from "../src/lib/logger";
import { ProvisionError } from "../src/provision";
import { registerDoctor } from "./commands/doctor";
import { registerIncident } from "./commands/incident";
import { registerKeyring } from "./commands/keyring";
import { commandKit, UsageError } from "./commands/kit";
import { registerMigrate } from "./commands/migrate";
import { registerSetup } from "./commands/setup";
import { registerTenants } from "./commands/tenants";
import { registerWorkspace } from "./commands/workspace";
import { root } from "./context";
import { describeDatabaseFailure } from "./database-failure";

/** The checkout's own version (package.json), what `--version` prints. */
function version(): string {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version?: string };
  return pkg.version ?? "unknown";
}

/** Builds the program; `done(code)` receives each command's exit code. */
export function buildProgram(done: (code: number) => void): Command {
  const program = new Command("islet")
    .description("islet operator CLI: tenants, keys, backups, configuration checks")
    .version(version(), "-V, --version", "the version of this checkout")
    .addOption(new Option("--env-file <path>", "configuration file (default .dev.vars)"))
    .option("--json", "machine-readable output on stdout", false)
    .exitOverride()
    .showSuggestionAfterError(true);

  const kit = commandKit(done);
  registerTenants(program, kit);
  registerMigrate(program, kit);
  registerWorkspace(program, kit);
  registerKeyring(program, kit);
  registerIncident(program, kit);
  registerDoctor(program, kit);
  registerSetup(program, kit);
  return program;
}

/** A failure as one line: our errors say what is wrong; anything else is reported by name only. */
function describe(error: unknown): string {
  const down = describeDatabaseFailure(error);
  if (down) return down;
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
  // `npm run islet` ends its command with `--`: Node itself reads an `--env-file` anywhere on its
  // command line (and exits 9 when the file is missing) unless it comes after a `--`.
  if (argv[0] === "--") argv = argv.slice(1);
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
