// The operator CLI runs under Node with the same code as the Worker. Its configuration is the
// Worker's: .dev.vars locally (or --env-file), overlaid by the process environment.

import { existsSync } from "node:fs";
import { migrationsIn, readDevVars } from "../scripts/local-stack";
import { type Config, parseConfig } from "../src/env";
import { newId } from "../src/lib/ids";
import { createLogger } from "../src/lib/logger";
import { SandboxBudget } from "../src/sandbox/budget";
import type { ServiceContext } from "../src/services/context";

export function loadVars(envFile?: string): Record<string, string> {
  if (envFile !== undefined && !existsSync(envFile)) throw new Error(`env file ${envFile} does not exist`);
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
