// Imports run one way (architecture §14, STYLE "Imports run one way"): the board below is checked on
// every shipped file of src/, durable-objects/, cli/ and devdb/. Every import counts: `import type`,
// re-exports (`export … from`), side-effect and dynamic `import("…")` alike.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? files(join(dir, e.name))
      : /\.(tsx?|mjs)$/.test(e.name) && !/\.(test|d)\.ts$/.test(e.name)
        ? [join(dir, e.name)]
        : [],
  );
}

/** Every module a file names: relative ones as paths under the repo, packages as they are. */
function importsOf(file: string): { to: string; local: boolean }[] {
  const text = readFileSync(file, "utf8");
  const specs = [
    // `import … from`, `import type … from`, `export … from`, `export type … from`
    ...text.matchAll(/\bfrom\s+"([^"]+)"/g),
    // `import "…"` (side effects only)
    ...text.matchAll(/^\s*import\s+"([^"]+)"/gm),
    // `import("…")`, in code or in a type
    ...text.matchAll(/\bimport\(\s*"([^"]+)"\s*\)/g),
  ].map(([, spec = ""]) => spec);
  return specs.map((spec) =>
    spec.startsWith(".")
      ? { to: relative(root, resolve(dirname(file), spec)), local: true }
      : { to: spec, local: false },
  );
}

/** The layer a path belongs to; undefined for what is not code (SQL migrations, SECURITY.md). */
function layerOf(path: string): string | undefined {
  const p = path.replace(/\.(tsx?|mjs)$/, "").replace(/\/index$/, "");
  if (p === "src/index" || p === "src/app" || p === "src") return "entry";
  if (p === "src/config") return "config";
  if (/^durable-objects\/gatekeeper(\/|$)/.test(p)) return "gate";
  if (/^durable-objects\/tenant-hub(\/|$)/.test(p)) return "hosts";
  if (/^(cli|devdb|scripts)(\/|$)/.test(p)) return p.split("/")[0];
  if (/\.(sql|md)$/.test(p) || p.startsWith("migrations/")) return undefined;
  return /^src\/([^/]+)/.exec(p)?.[1] ?? p;
}

const TRANSPORTS = ["middleware", "routes", "mcp", "ui"];

/** The board: what each layer may import besides itself (architecture §14). */
const BOARD: Record<string, string[]> = {
  entry: ["middleware", "routes", "mcp", "ui", "hosts", "http", "services"],
  middleware: ["http", "services", "lib"],
  routes: ["http", "services", "lib"],
  mcp: ["http", "services", "lib"],
  ui: ["http", "services", "lib"],
  // The socket host sits above the services: it serves MCP frames and realtime.
  hosts: ["mcp", "services", "lib"],
  // The Hono edge shared by the transports: of the services, only their core (see below).
  http: ["services", "lib", "config"],
  services: ["db", "lib", "sandbox", "provision", "gate", "config"],
  // The Gatekeeper sits below the services: its algorithm and storage, on lib's rule vocabulary.
  gate: ["lib"],
  db: ["lib", "config"],
  sandbox: ["lib"],
  provision: ["lib", "config"],
  cli: ["services", "db", "provision", "lib", "config"],
  // devdb is its own program: of islet it shares only the SQL lexer (further below).
  devdb: ["lib"],
  // Leaf code.
  lib: [],
  config: ["lib"],
};

/**
 * Where the tree departs from the board, each for a reason that a move cannot remove without
 * changing behaviour. Keep this list short: a new entry needs as good a reason.
 */
const EXCEPTIONS: Record<string, string> = {
  // Wrangler binds a Durable Object class only from the Worker's main module, so the entry
  // exports the Gatekeeper's class (it never calls it: services reach it through its binding).
  "src/index.ts → durable-objects/gatekeeper": "entry exports the Durable Object class",
  // `operation({ idempotency })` (http/openapi.ts) attaches this middleware to every keyed write as
  // part of the route's description, and it keeps its record through the idempotency service.
  "src/http/idempotency.ts → src/services/idempotency": "a route's described idempotency",
};

describe("import direction (architecture §14)", () => {
  const shipped = ["src", "durable-objects", "cli", "devdb"].flatMap((dir) => files(join(root, dir)));
  const edges = shipped.flatMap((file) =>
    importsOf(file).map(({ to, local }) => ({ from: relative(root, file), to, local })),
  );
  const local = edges.filter((e) => e.local);
  const packages = edges.filter((e) => !e.local);
  const show = ({ from, to }: { from: string; to: string }) => `${from} → ${to}`;
  const excepted = (e: { from: string; to: string }) => show(e) in EXCEPTIONS;

  it("sees the tree (every layer of the board has files, and import type is counted)", () => {
    const layers = new Set(shipped.map((f) => layerOf(relative(root, f))));
    for (const layer of Object.keys(BOARD)) expect(layers, layer).toContain(layer);
    // Type-only imports are imports: the services' context type reaches the http edge this way.
    expect(local.map(show)).toContain("src/http/env.ts → src/services/core/context");
    expect(local.map(show)).toContain("src/services/hub/index.ts → src/services/hub/protocol");
  });

  for (const [layer, may] of Object.entries(BOARD)) {
    it(`${layer} imports only ${may.join(", ") || "itself"}`, () => {
      const wrong = local
        .filter((e) => layerOf(e.from) === layer)
        .filter((e) => {
          const target = layerOf(e.to);
          return target !== undefined && target !== layer && !may.includes(target) && !excepted(e);
        })
        .map(show);
      expect(wrong).toEqual([]);
    });
  }

  it("http reaches into the services' core only (actor, service context, shared schemas)", () => {
    const wrong = local
      .filter((e) => layerOf(e.from) === "http" && layerOf(e.to) === "services")
      .filter((e) => !e.to.startsWith("src/services/core/") && !excepted(e))
      .map(show);
    expect(wrong).toEqual([]);
  });

  it("devdb shares only src/lib/sql", () => {
    const wrong = local
      .filter(
        (e) => layerOf(e.from) === "devdb" && layerOf(e.to) === "lib" && !e.to.startsWith("src/lib/sql/"),
      )
      .map(show);
    expect(wrong).toEqual([]);
  });

  // SECURITY.md: only services open databases; transports (and the http edge) cannot.
  it("middleware, routes and pages open no database themselves", () => {
    const edge = (e: { from: string }) => [...TRANSPORTS, "http"].includes(layerOf(e.from) ?? "");
    const wrong = [
      ...local.filter((e) => edge(e) && layerOf(e.to) === "db"),
      ...packages.filter((e) => edge(e) && /^(drizzle-orm|@libsql\/)/.test(e.to)),
    ].map(show);
    expect(wrong).toEqual([]);
  });

  it("services never import hono", () => {
    const wrong = packages
      .filter((e) => layerOf(e.from) === "services" && /^(hono|@hono\/)/.test(e.to))
      .map(show);
    expect(wrong).toEqual([]);
  });

  it("only src/app.ts mounts middleware: the whole pipeline is read in one file", () => {
    const mounting = shipped
      .filter((f) => relative(root, f) !== "src/app.ts")
      .filter((f) => /\.(use|onError)\(/.test(readFileSync(f, "utf8")))
      .map((f) => relative(root, f));
    expect(mounting).toEqual([]);
  });

  it("every exception is still needed", () => {
    const used = new Set(local.filter(excepted).map(show));
    expect(Object.keys(EXCEPTIONS).filter((e) => !used.has(e))).toEqual([]);
  });

  it("service domains depend on each other one way (no cycles)", () => {
    const domainOf = (path: string) => /^src\/services\/([^/.]+)/.exec(path)?.[1];
    const graph = new Map<string, Set<string>>();
    for (const { from: file, to: target } of local) {
      const from = domainOf(file);
      const to = domainOf(target);
      if (from && to && to !== from) graph.set(from, (graph.get(from) ?? new Set()).add(to));
    }
    const cycles: string[] = [];
    const walk = (node: string, path: string[]) => {
      for (const next of graph.get(node) ?? []) {
        if (next === path[0]) cycles.push([...path, next].join(" → "));
        else if (!path.includes(next)) walk(next, [...path, next]);
      }
    };
    for (const domain of graph.keys()) walk(domain, [domain]);
    expect(cycles).toEqual([]);
  });
});
