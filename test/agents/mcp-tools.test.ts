// Issue 30 items 5 and 6: an agent's first call works. Through the official MCP client: a tool
// needs no more than its REST twin (list_rows with only a table), every tool and every input
// property says what it is, and admin SQL's annotations follow the call (a read-only tool for
// reads, a destructive one for writes).
import { describe, expect, it } from "vitest";
import { TOOLS } from "../../src/mcp/tools";
import { call, json } from "../helpers";
import { makeTeam, mintKey } from "../workspaces/fixtures";
import { mcpOverHttp, toolErrorCode } from "./helpers";

interface JsonSchema {
  description?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  additionalProperties?: JsonSchema | boolean;
}

/** Every property of an input schema, nested ones included, with its path. */
function properties(schema: JsonSchema, path = ""): { path: string; schema: JsonSchema }[] {
  const found: { path: string; schema: JsonSchema }[] = [];
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    found.push({ path: `${path}${name}`, schema: child }, ...properties(child, `${path}${name}.`));
  }
  if (schema.items) found.push(...properties(schema.items, `${path}[].`));
  for (const branch of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])])
    found.push(...properties(branch, path));
  if (typeof schema.additionalProperties === "object") {
    found.push(...properties(schema.additionalProperties, `${path}*.`));
  }
  return found;
}

interface OpenApiSchema {
  $ref?: string;
  properties?: Record<string, { default?: unknown }>;
  required?: string[];
  anyOf?: OpenApiSchema[];
}
interface OpenApiOperation {
  operationId?: string;
  parameters?: { name: string; in: string; required?: boolean; schema?: { default?: unknown } }[];
  requestBody?: { required?: boolean; content?: { "application/json"?: { schema?: OpenApiSchema } } };
}
interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, OpenApiSchema> };
}
interface Field {
  required: boolean;
  default?: unknown;
}

/** A REST operation's arguments by name: path and query parameters, and the JSON body's fields. */
function restFields(
  doc: OpenApiDocument,
  op: OpenApiOperation,
): { fields: Map<string, Field>; bodyRequired: boolean } {
  const resolve = (s: OpenApiSchema | undefined): OpenApiSchema =>
    s?.$ref ? resolve(doc.components?.schemas?.[s.$ref.split("/").at(-1) as string]) : (s ?? {});
  const fields = new Map<string, Field>();
  for (const p of op.parameters ?? []) {
    if (p.name !== "workspaceId" && (p.in === "path" || p.in === "query")) {
      fields.set(p.name, { required: p.required === true, default: p.schema?.default });
    }
  }
  const bodyRequired = op.requestBody?.required === true;
  const body = resolve(op.requestBody?.content?.["application/json"]?.schema);
  for (const branch of (body.anyOf ?? [body]).map(resolve)) {
    for (const [name, prop] of Object.entries(branch.properties ?? {})) {
      const required = bodyRequired && (branch.required ?? []).includes(name);
      const known = fields.get(name);
      fields.set(name, { required: required || known?.required === true, default: prop.default });
    }
  }
  return { fields, bodyRequired };
}

describe("MCP tools an agent can call right the first time", () => {
  it("require no argument their REST twin leaves optional, with the same defaults", async () => {
    const team = await makeTeam();
    const doc = await json<OpenApiDocument>(await call("GET", "/openapi.json"));
    const operations = new Map(
      Object.values(doc.paths).flatMap((methods) => Object.values(methods).map((op) => [op.operationId, op])),
    );
    const client = await mcpOverHttp(team.owner.token, `?workspaceId=${team.workspace.id}`);
    const listed = new Map((await client.listTools()).tools.map((t) => [t.name, t]));
    const mismatches: string[] = [];
    for (const spec of TOOLS) {
      const op = operations.get(spec.rest.operationId);
      const tool = listed.get(spec.name);
      if (!op || !tool) {
        mismatches.push(`${spec.name}: no REST twin ${spec.rest.operationId} or not listed`);
        continue;
      }
      const rest = restFields(doc, op);
      const input = tool.inputSchema as JsonSchema & { required?: string[] };
      const required = new Set(input.required ?? []);
      for (const [name, prop] of Object.entries(input.properties ?? {})) {
        if (name === "idempotencyKey") continue;
        const carriesAll = name === spec.rest.body || name === spec.rest.query;
        if (carriesAll && required.has(name) && !(name === spec.rest.body && rest.bodyRequired)) {
          mismatches.push(
            `${spec.name}.${name} is required; REST's ${name === spec.rest.body ? "body" : "query"} is not`,
          );
        }
        const own = carriesAll
          ? Object.entries(prop.properties ?? {}).map(([child, schema]) => ({
              name: child,
              path: `${name}.${child}`,
              schema: schema as JsonSchema & { default?: unknown },
              required:
                required.has(name) && ((prop as { required?: string[] }).required ?? []).includes(child),
            }))
          : [
              {
                name,
                path: name,
                schema: prop as JsonSchema & { default?: unknown },
                required: required.has(name),
              },
            ];
        for (const field of own) {
          const twin = rest.fields.get(field.name);
          if (field.required && !carriesAll && !twin?.required) {
            mismatches.push(
              `${spec.name}.${field.path} is required; REST's ${field.name} is ${twin ? "optional" : "absent"}`,
            );
          }
          if (field.required && carriesAll && !twin?.required) {
            mismatches.push(`${spec.name}.${field.path} is required; REST's ${field.name} is not`);
          }
          if (twin && JSON.stringify(twin.default) !== JSON.stringify(field.schema.default)) {
            mismatches.push(
              `${spec.name}.${field.path} defaults to ${JSON.stringify(field.schema.default)}, REST to ${JSON.stringify(twin.default)}`,
            );
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
    await client.close();
  });

  it("lists rows with only a table, as REST does (limit 100), and takes JSON numbers in filters", async () => {
    const team = await makeTeam();
    const key = await mintKey(team.owner.token, team.workspace.id, {
      scopes: ["data:read", "data:write", "schema:write"],
    });
    const client = await mcpOverHttp(key.token);
    await client.callTool({
      name: "create_table",
      arguments: {
        name: "notes",
        columns: [
          { name: "title", type: "text" },
          { name: "n", type: "integer" },
        ],
      },
    });
    const rows = Array.from({ length: 105 }, (_, i) => ({ title: `note ${i}`, n: i }));
    expect(
      (await client.callTool({ name: "insert_rows", arguments: { table: "notes", rows } })).isError,
    ).toBeFalsy();

    const first = await client.callTool({ name: "list_rows", arguments: { table: "notes" } });
    expect(first.isError, JSON.stringify(first.content)).toBeFalsy();
    const page = first.structuredContent as { rows: { id: number }[]; nextCursor: string | null };
    const rest = await json<{ rows: { id: number }[]; nextCursor: string | null }>(
      await call("GET", `/v1/workspaces/${team.workspace.id}/tables/notes/rows`, { token: key.token }),
    );
    expect(page.rows).toHaveLength(100);
    expect(page.rows.map((r) => r.id)).toEqual(rest.rows.map((r) => r.id));
    expect(page.nextCursor).toEqual(expect.any(String));

    const filtered = await client.callTool({
      name: "list_rows",
      arguments: { table: "notes", query: { filters: [{ column: "n", op: "gte", value: 103 }] } },
    });
    expect((filtered.structuredContent as { rows: { n: number }[] }).rows.map((r) => r.n)).toEqual([
      103, 104,
    ]);
    const listed = await client.callTool({
      name: "list_rows",
      arguments: {
        table: "notes",
        query: { filters: [{ column: "n", op: "in", value: "1,2" }], sort: "-n" },
      },
    });
    expect((listed.structuredContent as { rows: { n: number }[] }).rows.map((r) => r.n)).toEqual([2, 1]);
    await client.close();
  });

  it("requires no argument of a tool that its REST twin leaves optional (invoke_function's args)", async () => {
    const team = await makeTeam();
    const client = await mcpOverHttp(team.owner.token, `?workspaceId=${team.workspace.id}`);
    const listed = (await client.listTools()).tools.find((t) => t.name === "invoke_function");
    expect(listed?.inputSchema.required).toEqual(["name"]);
    const created = await client.callTool({
      name: "create_function",
      arguments: { name: "hello", code: 'async function main(args) { return { got: args ?? "nothing" }; }' },
    });
    expect(created.isError, JSON.stringify(created.content)).toBeFalsy();
    const run = await client.callTool({ name: "invoke_function", arguments: { name: "hello" } });
    expect(run.structuredContent).toMatchObject({ result: { got: "nothing" } });
    await client.close();
  });

  it("documents functions as the sandbox runs them: the reference's example runs as written", async () => {
    const team = await makeTeam();
    const doc = await json<OpenApiDocument>(await call("GET", "/openapi.json"));
    const example = (id: string) =>
      Object.values(doc.paths)
        .flatMap((methods) => Object.values(methods))
        .find((op) => op.operationId === id)?.requestBody?.content?.["application/json"] as {
        example?: unknown;
      };
    const created = example("createFunction")?.example as { name: string; code: string };
    expect(created.code).toContain("function main(args, env)");
    const base = `/v1/workspaces/${team.workspace.id}/functions`;
    const res = await call("POST", base, { token: team.owner.token, body: created });
    expect(res.status, await res.clone().text()).toBe(201);
    const run = await call("POST", `${base}/${created.name}/invoke`, {
      token: team.owner.token,
      body: example("invokeFunction")?.example,
    });
    expect(await json(run)).toMatchObject({ result: { hello: "islet" } });
  });

  it("describes every tool and every input property", async () => {
    const team = await makeTeam();
    // The owner, signed in as a person, sees every tool.
    const client = await mcpOverHttp(team.owner.token, `?workspaceId=${team.workspace.id}`);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS.map((t) => t.name).sort());
    const undescribed: string[] = [];
    for (const tool of tools) {
      if ((tool.description ?? "").length < 20) undescribed.push(tool.name);
      for (const { path, schema } of properties(tool.inputSchema as JsonSchema)) {
        if ((schema.description ?? "").trim().length < 8) undescribed.push(`${tool.name}: ${path}`);
      }
    }
    expect(undescribed).toEqual([]);
    // What a newcomer's agent guessed wrong before: the sandbox runs `main`, not a module's default.
    const create = tools.find((t) => t.name === "create_function");
    expect(create?.description).toContain("function main(args, env)");
    expect(JSON.stringify(create)).not.toContain("export default (");
    await client.close();
  });

  it("reads with the read-only query_sql and writes with the destructive execute_sql", async () => {
    const team = await makeTeam();
    const client = await mcpOverHttp(team.owner.token, `?workspaceId=${team.workspace.id}`);
    const { tools } = await client.listTools();
    const annotations = (name: string) => tools.find((t) => t.name === name)?.annotations;
    expect(annotations("query_sql")).toMatchObject({ readOnlyHint: true, destructiveHint: false });
    expect(annotations("execute_sql")).toMatchObject({ readOnlyHint: false, destructiveHint: true });

    const created = await client.callTool({
      name: "execute_sql",
      arguments: { sql: "CREATE TABLE things (label TEXT)" },
    });
    expect(created.isError, JSON.stringify(created.content)).toBeFalsy();
    await client.callTool({
      name: "execute_sql",
      arguments: { sql: "INSERT INTO things (label) VALUES (?), (?)", args: ["a", "b"] },
    });
    const read = await client.callTool({
      name: "query_sql",
      arguments: { sql: "SELECT label FROM things ORDER BY label" },
    });
    expect(read.structuredContent).toMatchObject({ columns: ["label"], rows: [["a"], ["b"]] });
    const refused = await client.callTool({ name: "query_sql", arguments: { sql: "DELETE FROM things" } });
    expect(toolErrorCode(refused)).toBe("forbidden");
    expect(JSON.stringify(refused.content)).toContain("execute_sql");
    const typo = await client.callTool({ name: "query_sql", arguments: { sql: "SELEC 1" } });
    expect(toolErrorCode(typo)).toBe("sql_syntax");
    const count = await client.callTool({
      name: "query_sql",
      arguments: { sql: "SELECT count(*) AS n FROM things" },
    });
    expect(count.structuredContent).toMatchObject({ rows: [[2]] });
    await client.close();
  });

  it("names the field in a refused call's message", async () => {
    const team = await makeTeam();
    const client = await mcpOverHttp(team.owner.token, `?workspaceId=${team.workspace.id}`);
    const bad = await client.callTool({
      name: "create_table",
      arguments: { name: "notes", columns: [{ name: "title", type: "string" }] },
    });
    const text = (bad.content as { text: string }[])[0]?.text ?? "{}";
    const { error } = JSON.parse(text) as { error: { code: string; message: string } };
    expect(error.code).toBe("invalid_request");
    expect(error.message).toMatch(/^Invalid input: columns\.0\.type: .*expected one of/);
    await client.close();
  });
});
