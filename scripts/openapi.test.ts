// The generated OpenAPI document validates as OpenAPI 3.1 with a real validator, and the
// committed typed client (client/islet.d.ts) is what the document generates today.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
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
) as { openapi: string; paths: object };

describe("OpenAPI document", () => {
  it("validates as OpenAPI 3.1 (swagger-parser, every $ref resolved)", async () => {
    const api = await SwaggerParser.validate(structuredClone(document) as never);
    expect((api as { openapi: string }).openapi).toBe("3.1.0");
    expect(Object.keys(document.paths).length).toBeGreaterThan(40);
  });

  it("matches the committed typed client (run `npm run client` after changing a route)", async () => {
    const committed = readFileSync(join(root, "client/islet.d.ts"), "utf8");
    expect(committed).toBe(await clientTypes(document));
  });
});
