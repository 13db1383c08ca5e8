// What every command file shares: how an action reads the global options and the configuration,
// how it reports its exit code, and the usage errors and argument parsers of the command line.
import { type Command, InvalidArgumentError } from "commander";
import type { Config } from "../../src/config";
import type { ServiceContext } from "../../src/services/core/context";
import { loadConfig, loadVars, operatorContext, UsageError } from "../context";
import type { Output } from "../output";

export { UsageError };

export interface GlobalOptions {
  envFile?: string;
  json: boolean;
}

export function positiveInt(max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new InvalidArgumentError(`expected an integer from 1 to ${max}`);
    return n;
  };
}

/** Handed to each command file's `register…` function by `buildProgram`. */
export interface CommandKit {
  globals(cmd: Command): GlobalOptions;
  config(cmd: Command): Config;
  out(cmd: Command): Output;
  ctxOf(cmd: Command): ServiceContext;
  /** Wraps an action: its number is the exit code. */
  run<A extends unknown[]>(action: (...args: A) => Promise<number>): (...args: A) => Promise<void>;
}

/** `done(code)` receives each command's exit code. */
export function commandKit(done: (code: number) => void): CommandKit {
  const globals = (cmd: Command): GlobalOptions => cmd.optsWithGlobals() as GlobalOptions;
  const config = (cmd: Command): Config => {
    const { envFile } = globals(cmd);
    const vars = loadVars(envFile);
    // No configuration at all is a missing option, not a list of every variable it lacks.
    if (vars.ENVIRONMENT === undefined)
      throw new UsageError(
        envFile === undefined
          ? "no configuration: .dev.vars is missing (npm start writes it); pass --env-file <path>"
          : `no configuration: ${envFile} sets no ENVIRONMENT`,
      );
    return loadConfig(vars);
  };
  return {
    globals,
    config,
    out: (cmd) => ({ json: globals(cmd).json }),
    ctxOf: (cmd) => operatorContext(config(cmd)),
    run:
      <A extends unknown[]>(action: (...args: A) => Promise<number>) =>
      async (...args: A) =>
        done(await action(...args)),
  };
}
