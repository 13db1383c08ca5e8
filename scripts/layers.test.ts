// Imports run one way (STYLE "Imports run one way"): entry → middleware/routes → services →
// db/lib, with lib as leaf code. Only services and src/db touch databases.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const src = join(root, "src");

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** Every `from "…"` of a file: relative ones as paths under the repo, packages as they are. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/from\s+"([^"]+)"/g)].map(([, spec = ""]) =>
    spec.startsWith(".") ? relative(root, resolve(dirname(file), spec)) : spec,
  );
}

const layerOf = (path: string) => /^src\/([^/.]+)/.exec(path)?.[1] ?? path;

const RULES: Record<string, { may: string[]; packages?: RegExp }> = {
  // Leaf code: no project imports but lib itself.
  lib: { may: ["lib"] },
  // The database clients read their connection settings from the parsed config type.
  db: { may: ["db", "lib", "env"] },
  sandbox: { may: ["sandbox", "lib"] },
  provision: { may: ["provision", "lib", "env"] },
  services: { may: ["services", "db", "lib", "sandbox", "provision", "env", "types"] },
  middleware: { may: ["middleware", "services", "lib", "types", "env", "db"], packages: /^(?!drizzle-orm)/ },
  routes: { may: ["routes", "services", "middleware", "lib", "types"], packages: /^(?!drizzle-orm)/ },
  // MCP is a transport, as routes are: its tools call services.
  mcp: { may: ["mcp", "services", "lib", "types"], packages: /^(?!drizzle-orm)/ },
  // The dashboard is a transport too: pages call services (and reuse the API's session cookies).
  ui: { may: ["ui", "services", "middleware", "routes", "lib", "types"], packages: /^(?!drizzle-orm)/ },
};

describe("import direction", () => {
  const all = files(src).filter((f) => !f.endsWith(".test.ts") && !f.endsWith(".d.ts"));
  for (const [layer, rule] of Object.entries(RULES)) {
    it(`${layer} imports only ${rule.may.join(", ")}`, () => {
      const wrong: string[] = [];
      for (const file of all.filter((f) => layerOf(relative(root, f)) === layer)) {
        for (const target of importsOf(file)) {
          const local = target.startsWith("src/") || target.startsWith("durable-objects");
          if (local && target.startsWith("src/") && !rule.may.includes(layerOf(target))) {
            wrong.push(`${relative(root, file)} → ${target}`);
          }
          if (!local && !target.startsWith("..") && rule.packages && !rule.packages.test(target)) {
            wrong.push(`${relative(root, file)} → ${target}`);
          }
        }
      }
      expect(wrong).toEqual([]);
    });
  }

  it("middleware, routes and pages open no database themselves", () => {
    const wrong = all
      .filter((f) => ["middleware", "routes", "ui"].includes(layerOf(relative(root, f))))
      .flatMap((f) =>
        importsOf(f)
          .filter((t) => /^src\/db\/(control\/client|tenant\/client|libsql|migrator)/.test(t))
          .filter(
            (t) => !(t === "src/db/tenant/client" && readFileSync(f, "utf8").includes("TenantNotReadyError")),
          )
          .map((t) => `${relative(root, f)} → ${t}`),
      );
    expect(wrong).toEqual([]);
  });

  it("service domains depend on each other one way (no cycles)", () => {
    const domainOf = (path: string) => /^src\/services\/([^/.]+)/.exec(path)?.[1];
    const edges = new Map<string, Set<string>>();
    for (const file of all) {
      const from = domainOf(relative(root, file));
      if (!from) continue;
      for (const target of importsOf(file)) {
        const to = domainOf(target);
        if (to && to !== from) edges.set(from, (edges.get(from) ?? new Set()).add(to));
      }
    }
    const cycles: string[] = [];
    const walk = (node: string, path: string[]) => {
      for (const next of edges.get(node) ?? []) {
        if (next === path[0]) cycles.push([...path, next].join(" → "));
        else if (!path.includes(next)) walk(next, [...path, next]);
      }
    };
    for (const domain of edges.keys()) walk(domain, [domain]);
    expect(cycles).toEqual([]);
  });
});
