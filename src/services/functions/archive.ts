// Functions in the workspace archive (src/services/core/archive.ts): one `function` line each, its
// definition as the list verb shows it; an import makes each through `createFunction`, checked and
// audited as if made by hand.
import { z } from "zod";
import { type ArchiveSection, deleteMade, onlyOnce } from "../core/archive";
import { createFunction, listFunctions } from ".";
import { createFunctionBody } from "./schemas";

// The exported view carries more (timestamps): read as a plain object, extras dropped.
const functionLine = z.object({ type: z.literal("function"), function: z.object(createFunctionBody.shape) });
type Line = z.infer<typeof functionLine>;

export const functionsArchive: ArchiveSection<Line, Line["function"][], { functions: string[] }> = {
  lines: { function: functionLine },
  limit: 500,
  noun: "functions",
  async *export(ctx, workspaceId) {
    for (const fn of await listFunctions({ ctx, input: { workspaceId } }))
      yield { type: "function", function: fn };
  },
  plan() {
    const functions: Line["function"][] = [];
    const once = onlyOnce("Function");
    return {
      add(line, at) {
        once(line.function.name, at);
        functions.push(line.function);
      },
      done: () => functions,
    };
  },
  held: { table: "_islet_functions" },
  // A function binds secrets by name and calls API accounts by name.
  after: ["secret", "account"],
  async apply({ ctx, access }, plan, made) {
    for (const fn of plan) {
      made.push(fn.name);
      await createFunction({ ctx, input: { workspaceId: access.workspace.id, ...fn } });
    }
    return { functions: plan.map((f) => f.name) };
  },
  undo: { statements: deleteMade("_islet_functions", "name") },
  result: { functions: z.array(z.string()) },
  audited: (result) => ({ functions: result.functions.length }),
};
