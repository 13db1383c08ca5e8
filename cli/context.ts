// The operator CLI runs under Node with the same code as the Worker. Its configuration is the
// Worker's: .dev.vars locally (or --env-file), overlaid by the process environment.

import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Config, parseConfig } from "../src/config";
import { migrationsIn } from "../src/db/migration-files";
import { newId } from "../src/lib/ids";
import { createLogger } from "../src/lib/logger";
import { SandboxBudget, type ServiceContext } from "../src/services/core/context";

/** The checkout the CLI runs from: wrangler.toml and .dev.vars sit at its root. */
export const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Reads a dotenv file as `npm start` writes it (values may be double-quoted JSON strings). */
export function readDevVars(path = join(root, ".dev.vars")): Record<string, string> {
  const vars: Record<string, string> = {};
  if (!existsSync(path)) return vars;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    const raw = match[2] as string;
    const quoted = /^"(?:[^"\\]|\\.)*"/.exec(raw)?.[0];
    const single = /^'[^']*'/.exec(raw)?.[0];
    if (quoted) vars[match[1] as string] = JSON.parse(quoted) as string;
    else if (single) vars[match[1] as string] = single.slice(1, -1);
    else vars[match[1] as string] = raw.replace(/\s+#.*$/, "").trim();
  }
  return vars;
}

/** A wrong command line found by a command itself (commander reports its own): exit 2, one line. */
export class UsageError extends Error {}

export function loadVars(envFile?: string): Record<string, string> {
  // A file that is not there is a wrong command line (exit 2), not a failed operation.
  if (envFile !== undefined && !existsSync(envFile))
    throw new UsageError(`--env-file ${envFile}: no such file`);
  const fromFile = readDevVars(envFile);
  const fromProcess = Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] => /^[A-Z][A-Z0-9_]+$/.test(e[0]) && e[1] !== undefined,
    ),
  );
  return { ...fromFile, ...fromProcess };
}

export function loadConfig(vars: Record<string, string>): Config {
  const result = parseConfig(vars);
  if (!result.ok) throw new Error(`configuration refused:\n  - ${result.problems.join("\n  - ")}`);
  return result.config;
}

export function operatorContext(config: Config, operatorId = process.env.USER ?? "operator"): ServiceContext {
  return {
    env: {},
    config,
    actor: { type: "operator", operatorId },
    requestId: newId("cli"),
    ip: null,
    userAgent: "islet-cli",
    logger: createLogger({ cli: true }),
    waitUntil: () => {},
    sandboxBudget: new SandboxBudget(),
  };
}

/** `--dir`: a tenant migrations folder (to try a migration across tenants before it lands). */
export function migrationsFrom(dir: string) {
  if (!existsSync(dir)) throw new Error(`migrations folder ${dir} does not exist`);
  return migrationsIn(dir);
}
