import { z } from "zod";
import type { WorkspaceNeed } from "../core/access";
import { epochMs, workspaceScoped } from "../core/schemas";
import { secretName } from "../secrets/schemas";

/**
 * Who may list, write, run functions and bind secrets to them (architecture §3, §6: binding secrets is
 * reading them).
 */
export const FUNCTIONS_NEEDS = {
  list: { role: "viewer", scope: "data:read" },
  write: { role: "member", scope: "functions:write" },
  run: { role: "member", scope: "functions:run" },
  bind: { role: "admin", scope: "secrets:write" },
} as const satisfies Record<string, WorkspaceNeed>;

export { workspaceScoped } from "../core/schemas";
export { secretName } from "../secrets/schemas";

export const MAX_FUNCTION_TIMEOUT_MS = 1000;

/** Function names are names, not SQL identifiers: `add` or `select` are fine. */
export const functionName = z
  .string()
  .regex(
    /^[a-z][a-z0-9_-]{0,62}$/,
    "must be lowercase letters, digits, _ and -, starting with a letter (max 63)",
  );
/**
 * What the sandbox runs (src/sandbox: the code is a script that must define `main`), said once
 * for REST, MCP and the dashboard's starter.
 */
export const FUNCTION_CODE_NOTE =
  'JavaScript (a script, not a module) that defines `function main(args, env)` or `async function main(args, env)`: `args` is the caller\'s JSON, `env` the bound secrets by name; what main returns (awaited) is the result, as JSON. No network, no clock, no imports; console.log lines come back as logs. Example: `async function main(args, env) { return { hello: args?.name ?? "world" }; }`';

/** The one example of a function: the dashboard's starter, the API reference's try-it-out body. */
export const FUNCTION_EXAMPLE = `async function main(args, env) {
  console.log("called with", args);
  return { hello: args?.name ?? "world" };
}`;

const code = z.string().min(1).max(100_000).describe(FUNCTION_CODE_NOTE);
const timeoutMs = z
  .number()
  .int()
  .min(1)
  .max(MAX_FUNCTION_TIMEOUT_MS)
  .describe(`CPU time one run may take, in milliseconds (1–${MAX_FUNCTION_TIMEOUT_MS})`);
const env = z
  .array(secretName)
  .max(50)
  .describe("Names of the workspace's secrets (UPPER_SNAKE_CASE) to pass as `env`; binding needs an admin");
const nameOfFunction = functionName.describe(
  "The function's name: lowercase letters, digits, _ and -, starting with a letter (max 63)",
);

export const createFunctionBody = z.strictObject({
  name: nameOfFunction,
  code,
  timeoutMs: timeoutMs.default(MAX_FUNCTION_TIMEOUT_MS),
  env: env.default([]),
});
export const createFunctionInput = createFunctionBody.extend(workspaceScoped.shape);
export const functionTarget = workspaceScoped.extend({ name: nameOfFunction });
export const updateFunctionBody = z
  .strictObject({ code: code.optional(), timeoutMs: timeoutMs.optional(), env: env.optional() })
  .refine((b) => Object.keys(b).length > 0, "nothing to change: give code, timeoutMs or env");
export const updateFunctionInput = functionTarget.extend({
  code: code.optional(),
  timeoutMs: timeoutMs.optional(),
  env: env.optional(),
});
const args = z.unknown().describe("Any JSON value, passed to main as `args`; absent reads as null");
export const invokeFunctionBody = z.strictObject({ args: args.optional() });
// Optional as in REST's body (issue 30: a tool requires nothing its REST twin does not).
export const invokeFunctionInput = functionTarget.extend({ args: args.optional() });

export const FunctionDefinition = z.object({
  name: z.string(),
  /** The source; shown only to those who may write functions (members, keys with `functions:write`). */
  code: z.string().optional(),
  timeoutMs: z.number().int(),
  /** The secrets bound as `env`; shown only to those who may bind secrets (admins). */
  env: z.array(z.string()).optional(),
  createdAt: epochMs,
  updatedAt: epochMs,
});
export type FunctionDefinition = z.infer<typeof FunctionDefinition>;

export const Invocation = z.object({
  /** The function's return value, scrubbed of every bound secret. */
  result: z.unknown(),
  logs: z.array(z.string()),
  durationMs: z.number(),
});
