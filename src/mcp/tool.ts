import type { ToolAnnotations } from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import type { WorkspaceNeed } from "../services/core/access";
import type { ServiceContext } from "../services/core/context";
import { idempotencyKey } from "../services/core/schemas";

/**
 * One MCP tool: a service verb with its own input schema (minus the workspace, which the
 * connection fixes), the authority it needs (the same `WorkspaceNeed` the verb checks, used to
 * list only the tools a credential may call) and MCP's behaviour hints.
 */
export interface ToolSpec<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  need: WorkspaceNeed;
  /**
   * The REST operation that does what this tool does (its operationId), and the tool argument
   * that carries that operation's whole JSON body or query string, if one does. A tool requires
   * no argument its REST twin leaves optional, with the same defaults (test/agents/mcp-tools).
   */
  rest: { operationId: string; body?: string; query?: string };
  /** The verb's input schema without `workspaceId`. */
  input: I;
  /** What `structuredContent` holds (MCP: an object). */
  output: O;
  annotations: Required<Pick<ToolAnnotations, "readOnlyHint" | "destructiveHint" | "idempotentHint">> &
    Pick<ToolAnnotations, "openWorldHint">;
  /** Top-level answer fields shown once (a key's token): a replay leaves them out. */
  shownOnce?: readonly string[];
  run: (ctx: ServiceContext, input: z.output<I> & { workspaceId: string }) => Promise<z.input<O>>;
}

/**
 * Keeps each tool's input and output types tied to its schemas. A tool that writes also takes
 * `idempotencyKey`, with the meaning of REST's Idempotency-Key (services/idempotency); the call
 * takes it off before the verb sees its input.
 */
export const tool = <I extends z.ZodObject, O extends z.ZodObject>(spec: ToolSpec<I, O>): ToolSpec => {
  if (spec.annotations.readOnlyHint) return spec as unknown as ToolSpec;
  const input = spec.input.extend({ idempotencyKey: IdempotencyKeyArgument });
  return { ...spec, input } as unknown as ToolSpec;
};

const IdempotencyKeyArgument = idempotencyKey
  .optional()
  .describe(
    'Makes a retry safe: the first call with a key runs; a repeat with the same arguments gets its stored result (24 h), marked `_meta["islet/idempotent-replayed"]`; other arguments are refused (`idempotency_mismatch`).',
  );

export const readOnly = { readOnlyHint: true, destructiveHint: false, idempotentHint: true } as const;
export const additive = { readOnlyHint: false, destructiveHint: false, idempotentHint: false } as const;
export const overwriting = { readOnlyHint: false, destructiveHint: false, idempotentHint: true } as const;
export const destructive = { readOnlyHint: false, destructiveHint: true, idempotentHint: true } as const;

/** The verb schemas address a workspace; a tool's connection already does. */
export const withoutWorkspace = <S extends z.ZodObject>(schema: S) =>
  schema.omit({ workspaceId: true } as never) as unknown as S;
