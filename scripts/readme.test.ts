// The README's deploy steps set every production secret the config schema knows of, and the
// example env file documents each of them: neither can fall behind src/config.ts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PRODUCTION_SECRETS } from "../src/config";

const root = join(import.meta.dirname, "..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const example = readFileSync(join(root, ".dev.vars.example"), "utf8");

describe("deploy documentation", () => {
  it("puts exactly the production secrets with wrangler secret put", () => {
    const loop = /for s in ([A-Z_ \\\n]+); do\n\s+npx wrangler secret put --env production "\$s"/.exec(
      readme,
    );
    expect(loop, "the README's `for s in …; do npx wrangler secret put` loop").not.toBeNull();
    const listed = (loop?.[1] ?? "").split(/[\s\\]+/).filter(Boolean);
    expect(listed.sort()).toEqual([...PRODUCTION_SECRETS].sort());
  });

  it("documents every production secret in .dev.vars.example", () => {
    for (const name of PRODUCTION_SECRETS) expect(example, name).toMatch(new RegExp(`^${name}=`, "m"));
  });
});
