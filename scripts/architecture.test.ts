// docs/architecture.md is the architecture a contributor reads, and code comments cite its sections
// as `architecture §N`. This keeps the two honest: every repository path the document cites exists
// (a renamed file fails here until the document follows), every section a comment cites is a heading
// of the document, and nothing still points at the design file outside the repository.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const DOC = "docs/architecture.md";
const read = (path: string) => readFileSync(join(root, path), "utf8");

/** The repository's top-level folders: a cited path starts with one of these. */
const TOP_DIRS = new Set([
  "bench",
  "cli",
  "client",
  "devdb",
  "docs",
  "durable-objects",
  "e2e",
  "migrations",
  "scripts",
  "src",
  "test",
]);
/** Files at the root the document may cite by name. */
const ROOT_FILES = new Set([
  ".dev.vars.example",
  "README.md",
  "SECURITY.md",
  "biome.json",
  "package.json",
  "tsconfig.json",
  "vitest.config.ts",
  "worker-configuration.d.ts",
  "wrangler.toml",
]);

/** A repository path, not a placeholder (`src/services/<domain>/`), a URL path or a glob. */
function isRepoPath(text: string): boolean {
  if (ROOT_FILES.has(text)) return true;
  const top = /^([a-z-]+)\/[A-Za-z0-9_./-]*$/.exec(text)?.[1];
  return top !== undefined && TOP_DIRS.has(top);
}

/** Every repository path a Markdown text cites: inline code spans, and path-shaped words in code blocks. */
function citedPaths(markdown: string): string[] {
  const fences = /^```[^\n]*\n([\s\S]*?)^```/gm;
  const cited = new Set<string>();
  for (const [, block = ""] of markdown.matchAll(fences)) {
    for (const word of block.split(/\s+/)) {
      const path = word.replace(/^[([]+|[)\],.:;]+$/g, "");
      if (isRepoPath(path)) cited.add(path);
    }
  }
  for (const [, span = ""] of markdown.replace(fences, "").matchAll(/`([^`\n]+)`/g)) {
    if (isRepoPath(span)) cited.add(span);
  }
  return [...cited];
}

const missing = (paths: string[]) => paths.filter((path) => !existsSync(join(root, path)));

/** The section numbers of `## N. Title` headings. */
const sectionsOf = (markdown: string) => [...markdown.matchAll(/^## (\d+)\. \S/gm)].map(([, n]) => Number(n));

/** Every section a text cites as `architecture §N` (lists too: `architecture §3, §10`). */
function citedSections(text: string): number[] {
  return [...text.matchAll(/\barchitecture (§\d+(?:\s*(?:,|and)\s*§\d+)*)/g)].flatMap(([, list = ""]) =>
    [...list.matchAll(/§(\d+)/g)].map(([, n]) => Number(n)),
  );
}

/** The code and prose files of the folders whose comments cite the document (migrations excepted: never edited). */
function sources(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? e.name === "node_modules"
          ? []
          : walk(join(dir, e.name))
        : /\.(tsx?|mjs|js|md)$/.test(e.name)
          ? [join(dir, e.name)]
          : [],
    );
  return ["src", "durable-objects", "cli", "devdb", "scripts", "test", "e2e", "bench"].flatMap(walk);
}

describe("docs/architecture.md", () => {
  const doc = read(DOC);
  const sections = sectionsOf(doc);

  it("finds a path that does not exist (the check can fail)", () => {
    const text =
      "See `src/app.ts` and `src/no-such-file.ts`.\n\n```\nsrc/no-such-dir/   x\n(src/index.ts)\n```\n";
    expect(citedPaths(text).sort()).toEqual([
      "src/app.ts",
      "src/index.ts",
      "src/no-such-dir/",
      "src/no-such-file.ts",
    ]);
    expect(missing(citedPaths(text)).sort()).toEqual(["src/no-such-dir/", "src/no-such-file.ts"]);
    // Placeholders, URL paths and words outside the repository's folders are not paths.
    expect(citedPaths("`src/services/<domain>/` `/v1/workspaces/:id` `test-output/` `.islet/`")).toEqual([]);
  });

  it("cites only paths that exist", () => {
    const cited = citedPaths(doc);
    // The document cites the files it describes: it is not vacuously true.
    expect(cited).toEqual(
      expect.arrayContaining(["src/app.ts", "scripts/layers.test.ts", "src/http/csp.ts"]),
    );
    expect(missing(cited)).toEqual([]);
  });

  it("numbers its sections 1…N, once each", () => {
    expect(sections.length).toBeGreaterThanOrEqual(14);
    expect(sections).toEqual(sections.map((_, i) => i + 1));
  });

  it("has every section the code cites", () => {
    const cite = (n: number) => ["architecture", `§${n}`].join(" ");
    expect(citedSections(`${cite(3)}, §10 and ${cite(14)}`)).toEqual([3, 10, 14]);
    const cites = sources().flatMap((file) => citedSections(read(file)).map((n) => ({ file, n })));
    expect(cites.length).toBeGreaterThan(100);
    expect(cites.filter(({ n }) => !sections.includes(n)).map(({ file, n }) => `${file}: §${n}`)).toEqual([]);
  });

  it("is what the code cites, not the design file outside the repository", () => {
    const stale = sources().filter((file) => /\bDESIGN(?:\.md)? ?§ ?\d/.test(read(file)));
    expect(stale).toEqual([]);
    const readme = read("README.md");
    expect(readme).not.toMatch(/\.\.\/shared\//);
    expect(readme).toContain("(docs/architecture.md)");
    // A link to a section names a heading that exists (GitHub's anchors: `## 14. Layout` → #14-layout).
    const anchors = new Set(
      [...doc.matchAll(/^#+ (.+)$/gm)].map(([, title = ""]) =>
        title
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, "")
          .replace(/ /g, "-"),
      ),
    );
    const linked = [...readme.matchAll(/\(docs\/architecture\.md#([^)]+)\)/g)].map(
      ([, anchor = ""]) => anchor,
    );
    expect(linked.filter((anchor) => !anchors.has(anchor))).toEqual([]);
  });

  it("links only to files that exist (README and this document)", () => {
    for (const file of ["README.md", DOC]) {
      const links = [...read(file).matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)]
        .map(([, target = ""]) => target)
        .filter((target) => !/^[a-z]+:/.test(target));
      const base = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : "";
      expect(
        links.filter((target) => !existsSync(join(root, base, target))),
        file,
      ).toEqual([]);
    }
  });
});
