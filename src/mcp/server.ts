import { McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import {
  CallToolRequestSchema,
  type CallToolResult,
  ListToolsRequestSchema,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { CfWorkerJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/cfworker";
import { z } from "zod";
import { ApiError, errorEnvelope } from "../lib/errors";
import { roleAtLeast } from "../lib/scopes";
import type { Role } from "../lib/tenancy";
import { recordAudit } from "../services/audit";
import type { WorkspaceAccess } from "../services/core/access";
import { parseInput, type ServiceContext } from "../services/core/context";
import { asApiError } from "../services/core/errors";
import { idempotencyPrincipal, runIdempotent } from "../services/idempotency";
import { getTable, listTables } from "../services/tables";
import type { ToolSpec } from "./tool";
import { TOOLS } from "./tools";

export const SERVER_INFO = { name: "islet", title: "islet", version: "0.1.0" } as const;

/** Where a tool call came in, for the audit event. */
export type McpTransport = "http" | "ws";

/** What one server answers for: a workspace, as the credential's authority in it allows. */
/** What one server answers for: a workspace, as the credential's authority in it allows. */
export interface McpScope {
  /** The caller's hold on the workspace, authorized once (authorizeMember) for the request or frame. */
  access: WorkspaceAccess;
  transport: McpTransport;
}

/**
 * The tools a credential may call with the role it holds in the workspace (architecture §13: tools
 * gated by scopes): a user's membership role; a key's scopes under its creator's role, never the
 * users-only ones. The verbs check the same again when called, so an unlisted tool called anyway
 * is refused by its verb.
 */
export function toolsFor(ctx: ServiceContext, role: Role | null): ToolSpec[] {
  if (role === null) return [];
  const scopes = ctx.actor.type === "apiKey" ? ctx.actor.scopes : null;
  return TOOLS.filter(
    (t) =>
      roleAtLeast(role, t.need.role) &&
      (scopes === null || (t.need.scope !== undefined && scopes.includes(t.need.scope))),
  );
}

const listings = new Map<string, Tool>();

/** A tool as `tools/list` shows it; the JSON Schemas are derived once from the verb's zod schemas. */
function listing(spec: ToolSpec): Tool {
  let tool = listings.get(spec.name);
  if (!tool) {
    const json = (schema: z.ZodType, io: "input" | "output") =>
      z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Tool["inputSchema"];
    tool = {
      name: spec.name,
      title: spec.title,
      description: spec.description,
      inputSchema: json(spec.input, "input"),
      outputSchema: json(spec.output, "output") as Tool["outputSchema"],
      // Closed world unless the tool says otherwise: islet's own data, not the open internet.
      annotations: { title: spec.title, openWorldHint: false, ...spec.annotations },
    };
    listings.set(spec.name, tool);
  }
  return tool;
}

/** An error as a tool result (MCP: tool errors are results with `isError`), in the REST envelope. */
export function toolError(ctx: ServiceContext, error: ApiError): CallToolResult {
  return {
    isError: true,
    content: [{ type: "text", text: JSON.stringify(errorEnvelope(error, ctx.requestId)) }],
  };
}

/** Marks a result that is the stored one of an earlier call with the same idempotencyKey. */
export const REPLAYED_META = "islet/idempotent-replayed";

/**
 * Runs a writing tool once per idempotencyKey (services/idempotency): the answer, an error
 * included, is what a repeat gets back, marked in `_meta`.
 */
async function keyedCall(
  ctx: ServiceContext,
  scope: McpScope,
  spec: ToolSpec,
  key: string,
  input: Record<string, unknown>,
  invoke: () => Promise<Record<string, unknown>>,
): Promise<{ result: CallToolResult; code?: string }> {
  const principal = idempotencyPrincipal(ctx.actor);
  if (!principal) return { result: outputResult(await invoke()) };
  const { answer, replayed } = await runIdempotent(
    ctx,
    {
      principal,
      key,
      operation: `mcp ${spec.name}`,
      input,
      workspace: { row: scope.access.workspace, db: scope.access.db },
      ...(spec.shownOnce ? { shownOnce: spec.shownOnce } : {}),
    },
    async () => {
      try {
        return { status: 200, body: JSON.stringify(await invoke()) };
      } catch (thrown) {
        const error = asApiError(thrown, ctx.logger);
        return { status: error.status, body: JSON.stringify(errorEnvelope(error, ctx.requestId)) };
      }
    },
  );
  const meta = replayed ? { _meta: { [REPLAYED_META]: true } } : {};
  if (answer.status >= 400) {
    const envelope = JSON.parse(answer.body) as { error?: { code?: string } };
    return {
      result: { isError: true, content: [{ type: "text", text: answer.body }], ...meta },
      code: envelope.error?.code ?? "internal_error",
    };
  }
  return { result: { ...outputResult(JSON.parse(answer.body) as Record<string, unknown>), ...meta } };
}

const outputResult = (output: Record<string, unknown>): CallToolResult => ({
  content: [{ type: "text", text: JSON.stringify(output) }],
  structuredContent: output,
});

/**
 * Runs one tool and writes `mcp.tool_call` to the workspace's audit log: the tool, the outcome
 * (the error code when it failed) and the duration, never the arguments (they may carry values
 * a caller considers secret). The verb audits its own change besides.
 */
async function callTool(
  ctx: ServiceContext,
  scope: McpScope,
  tools: Map<string, ToolSpec>,
  name: string,
  args: unknown,
): Promise<CallToolResult> {
  const started = performance.now();
  let result: CallToolResult;
  let code: string | undefined;
  try {
    const spec = tools.get(name) ?? TOOLS.find((t) => t.name === name);
    if (!spec) throw new ApiError("not_found", `There is no tool named ${name.slice(0, 64)}`);
    const { idempotencyKey: key, ...input } = parseInput(spec.input, args ?? {}) as Record<string, unknown>;
    const invoke = async () =>
      spec.output.parse(await spec.run(ctx, { ...input, workspaceId: scope.access.workspace.id }));
    if (typeof key === "string") {
      ({ result, code } = await keyedCall(ctx, scope, spec, key, input, invoke));
    } else {
      result = outputResult(await invoke());
    }
  } catch (thrown) {
    const error = asApiError(thrown, ctx.logger);
    code = error.code;
    result = toolError(ctx, error);
  }
  try {
    const db = await scope.access.db();
    await recordAudit(ctx, db, {
      action: "mcp.tool_call",
      targetType: "tool",
      targetId: name.slice(0, 64),
      details: {
        outcome: code === undefined ? "ok" : "error",
        ...(code === undefined ? {} : { code }),
        ...(result._meta?.[REPLAYED_META] ? { replayed: true } : {}),
        durationMs: Math.round(performance.now() - started),
        transport: scope.transport,
      },
    });
  } catch (thrown) {
    ctx.logger.error("mcp.tool_call audit failed", {
      tool: name.slice(0, 64),
      error: thrown instanceof Error ? thrown.message : String(thrown),
    });
  }
  return result;
}

/**
 * An MCP server for one request (or one socket message): stateless, scoped to the credential's
 * workspace, which the caller has authorized (authorizeMember: others learn nothing, not even its
 * name, and leave nothing in its log). Tools use the low-level handlers so that every failure, bad arguments included,
 * comes back as a tool result carrying the error envelope's code, never a protocol error.
 */
export function buildMcpServer(ctx: ServiceContext, scope: McpScope): McpServer {
  const workspace = scope.access.workspace;
  const allowed = toolsFor(ctx, scope.access.role);
  const tools = new Map(allowed.map((t) => [t.name, t]));
  const mcp = new McpServer(SERVER_INFO, {
    jsonSchemaValidator: new CfWorkerJsonSchemaValidator(),
    instructions: `islet workspace "${workspace.name}" (${workspace.id}). Tools act on this workspace only, with this credential's scopes; destructive ones need the confirmation their schema names.`,
  });
  mcp.server.registerCapabilities({ tools: { listChanged: false } });
  mcp.server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: allowed.map(listing) }));
  mcp.server.setRequestHandler(CallToolRequestSchema, (request) =>
    callTool(ctx, scope, tools, request.params.name, request.params.arguments),
  );
  if (tools.has("get_table")) registerTableResources(mcp, ctx, workspace.id);
  return mcp;
}

/** Each table's schema as a resource, `islet://tables/<name>`. */
function registerTableResources(mcp: McpServer, ctx: ServiceContext, workspaceId: string): void {
  const uri = (name: string) => `islet://tables/${name}`;
  mcp.registerResource(
    "table",
    new ResourceTemplate("islet://tables/{name}", {
      list: async () => ({
        resources: (await listTables({ ctx, input: { workspaceId } })).map((t) => ({
          uri: uri(t.name),
          name: t.name,
          title: `Table ${t.name}`,
          mimeType: "application/json",
        })),
      }),
    }),
    { title: "Table schema", description: "A table's columns and indexes", mimeType: "application/json" },
    async (_url, variables) => {
      const name = String(variables.name ?? "");
      const table = await getTable({ ctx, input: { workspaceId, table: name } });
      return {
        contents: [{ uri: uri(table.name), mimeType: "application/json", text: JSON.stringify(table) }],
      };
    },
  );
}
