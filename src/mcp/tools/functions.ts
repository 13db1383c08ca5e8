import { z } from "zod";
import {
  createFunction,
  createFunctionInput,
  deleteFunction,
  FUNCTIONS_NEEDS,
  FunctionDefinition,
  functionTarget,
  Invocation,
  invokeFunction,
  invokeFunctionInput,
  listFunctions,
  updateFunction,
  updateFunctionInput,
  workspaceScoped,
} from "../../services/functions";
import { listSecrets, SecretMetadata } from "../../services/secrets";
import { additive, destructive, overwriting, readOnly, tool, withoutWorkspace } from "../tool";

const { write } = FUNCTIONS_NEEDS;

export const functionTools = [
  tool({
    name: "list_functions",
    title: "List functions",
    description: "The workspace's sandboxed JavaScript functions and their code.",
    rest: { operationId: "listFunctions" },
    need: FUNCTIONS_NEEDS.list,
    input: withoutWorkspace(workspaceScoped),
    output: z.object({ functions: z.array(FunctionDefinition) }),
    annotations: readOnly,
    run: async (ctx, input) => ({ functions: await listFunctions({ ctx, input }) }),
  }),
  tool({
    name: "create_function",
    title: "Create a function",
    description:
      "Stores a JavaScript function that defines `async function main(args, env) { … }` (a script, not a module: no `export`), run in a sandbox with no network by invoke_function; `env` names secrets to bind (admins only).",
    rest: { operationId: "createFunction" },
    need: write,
    input: withoutWorkspace(createFunctionInput),
    output: FunctionDefinition,
    annotations: additive,
    run: (ctx, input) => createFunction({ ctx, input }),
  }),
  tool({
    name: "update_function",
    title: "Change a function",
    description: "Replaces a function's code, timeout or bound secrets: give at least one; the others stay.",
    rest: { operationId: "updateFunction" },
    need: write,
    input: withoutWorkspace(updateFunctionInput),
    output: FunctionDefinition,
    annotations: overwriting,
    run: (ctx, input) => updateFunction({ ctx, input }),
  }),
  tool({
    name: "delete_function",
    title: "Delete a function",
    description: "Deletes a function by name.",
    rest: { operationId: "deleteFunction" },
    need: write,
    input: withoutWorkspace(functionTarget),
    output: z.object({ deleted: z.string() }),
    annotations: destructive,
    run: async (ctx, input) => {
      await deleteFunction({ ctx, input });
      return { deleted: input.name };
    },
  }),
  tool({
    name: "invoke_function",
    title: "Run a function",
    description:
      "Runs a function's `main(args, env)` in the sandbox with `args` (any JSON, optional); what main returns and its console.log lines come back, scrubbed of secrets. A throw, timeout or memory overrun is `sandbox_error`.",
    rest: { operationId: "invokeFunction" },
    need: FUNCTIONS_NEEDS.run,
    input: withoutWorkspace(invokeFunctionInput),
    output: Invocation,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
    run: (ctx, input) => invokeFunction({ ctx, input }),
  }),
  tool({
    name: "list_secrets",
    title: "List secrets",
    description: "The workspace's secrets: names, last four characters and fingerprints, never values.",
    rest: { operationId: "listSecrets" },
    need: FUNCTIONS_NEEDS.bind,
    input: withoutWorkspace(workspaceScoped),
    output: z.object({ secrets: z.array(SecretMetadata) }),
    annotations: readOnly,
    run: async (ctx, input) => ({ secrets: await listSecrets({ ctx, input }) }),
  }),
];
