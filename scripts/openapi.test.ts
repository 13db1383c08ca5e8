// The generated OpenAPI document validates as OpenAPI 3.1 with a real validator, and the
// committed typed client (client/islet.d.ts) is what the document generates today.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
import { Validator } from "@cfworker/json-schema";
import { describe, expect, it } from "vitest";
import { clientTypes } from "./client-types";

const root = join(import.meta.dirname, "..");
// Built by the real app under Node (the same loader npm start and the CLI use).
const document = JSON.parse(
  execFileSync(
    process.execPath,
    ["--import", "tsx", "--import", "./scripts/sql-loader.mjs", "scripts/openapi.ts", "--print"],
    { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
  ),
) as {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  tags?: { name: string }[];
  components?: { schemas?: Record<string, Schema> };
};

type Schema = { [key: string]: unknown };
interface Parameter {
  name: string;
  in: string;
  schema?: Schema;
  example?: unknown;
  style?: string;
  explode?: boolean;
}
interface Operation {
  operationId?: string;
  tags?: string[];
  parameters?: Parameter[];
  requestBody?: { content?: Record<string, { schema?: Schema; example?: unknown }> };
}

const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, op]) => ({ at: `${method.toUpperCase()} ${path}`, op })),
);

/**
 * Places where Swagger UI would invent a sample (`{"additionalProp1": …}`, refused when sent): a
 * map-shaped schema (additionalProperties) with no example on it or above it.
 */
function inventedSamples(schema: unknown, covered: boolean, at: string, seen: string[] = []): string[] {
  if (typeof schema !== "object" || schema === null) return [];
  const node = schema as Schema;
  if (typeof node.$ref === "string") {
    const name = node.$ref.split("/").at(-1) as string;
    if (seen.includes(name)) return [];
    return inventedSamples(document.components?.schemas?.[name], covered, `${at}→${name}`, [...seen, name]);
  }
  const here = covered || "example" in node || "examples" in node;
  const found: string[] = [];
  const extra = node.additionalProperties;
  if (extra !== undefined && extra !== false && !here) found.push(at);
  for (const [name, child] of Object.entries((node.properties as Record<string, unknown>) ?? {})) {
    found.push(...inventedSamples(child, here, `${at}.${name}`, seen));
  }
  if (typeof extra === "object") found.push(...inventedSamples(extra, here, `${at}.*`, seen));
  found.push(...inventedSamples(node.items, here, `${at}[]`, seen));
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    for (const branch of (node[key] as unknown[]) ?? [])
      found.push(...inventedSamples(branch, here, at, seen));
  }
  return found;
}

describe("OpenAPI document", () => {
  it("validates as OpenAPI 3.1 (swagger-parser, every $ref resolved)", async () => {
    const api = await SwaggerParser.validate(structuredClone(document) as never);
    expect((api as { openapi: string }).openapi).toBe("3.1.0");
    expect(Object.keys(document.paths).length).toBeGreaterThan(40);
  });

  it("names every operation (operationId, unique) and lists its tags in the order users reach for them", () => {
    const ids = operations.map(({ op }) => op.operationId);
    expect(operations.filter(({ op }) => !op.operationId).map(({ at }) => at)).toEqual([]);
    expect(new Set(ids).size).toBe(ids.length);
    const tags = (document.tags ?? []).map((t) => t.name);
    expect(tags.slice(0, 4)).toEqual(["Auth", "Tables", "Rows", "Keys"]);
    expect(tags.at(-1)).toBe("Operator");
    const used = new Set(operations.flatMap(({ op }) => op.tags ?? []));
    expect([...used].filter((t) => !tags.includes(t))).toEqual([]);
  });

  it("gives Swagger's try-it-out examples that are valid as they stand, never an invented additionalProp", () => {
    expect(JSON.stringify(document).match(/additionalProp\d/g)).toBeNull();
    const invented: string[] = [];
    const invalid: string[] = [];
    for (const { at, op } of operations) {
      for (const p of op.parameters ?? []) {
        invented.push(...inventedSamples(p.schema, "example" in p, `${at} ${p.name}`));
      }
      const media = op.requestBody?.content?.["application/json"];
      if (!media?.schema) continue;
      invented.push(...inventedSamples(media.schema, "example" in media, `${at} body`));
      if (media.example === undefined) continue;
      // The document's own schema, its $refs resolved against the document; annotations (other
      // examples, whose `id` fields the validator would read as schema ids) left out.
      const schema = JSON.parse(
        JSON.stringify({ ...media.schema, components: document.components }, (key, value) =>
          key === "example" || key === "examples" ? undefined : value,
        ),
      );
      const validator = new Validator(schema, "2020-12");
      const result = validator.validate(media.example);
      if (!result.valid) invalid.push(`${at}: ${JSON.stringify(result.errors.slice(0, 2))}`);
    }
    expect(invented).toEqual([]);
    expect(invalid).toEqual([]);
    // The documented first calls carry examples.
    const body = (id: string) =>
      operations.find(({ op }) => op.operationId === id)?.op.requestBody?.content?.["application/json"];
    for (const id of ["signUp", "createTable", "insertRows", "createKey", "executeSql", "createFunction"]) {
      const media = body(id);
      expect(media?.example ?? media?.schema?.example, id).toBeDefined();
    }
  });

  it("sends the rows filter as a deep object (filter[col][op]=value), as the API reads it", () => {
    const list = operations.find(({ op }) => op.operationId === "listRows")?.op;
    const filter = list?.parameters?.find((p) => p.name === "filter");
    expect(filter).toMatchObject({ in: "query", style: "deepObject", explode: true });
  });

  it("matches the committed typed client (run `npm run client` after changing a route)", async () => {
    const committed = readFileSync(join(root, "client/islet.d.ts"), "utf8");
    expect(committed).toBe(await clientTypes(document));
  });
});
