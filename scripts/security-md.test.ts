// SECURITY.md names, for each promise, the test that proves it. Those names must stay true: a
// renamed or deleted test fails here, so the policy never points at proof that is gone.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const policy = readFileSync(join(root, "SECURITY.md"), "utf8");

/** Every `path/to/x.test.ts` "name", "name" › "name" reference of the policy. */
function references(): { file: string; name: string }[] {
  const found: { file: string; name: string }[] = [];
  for (const [, file = "", names = ""] of policy.matchAll(/`([\w./-]+\.ts)` ((?:"[^"]+"(?:, | › )?)+)/g)) {
    for (const [, name = ""] of names.matchAll(/"([^"]+)"/g)) found.push({ file, name });
  }
  return found;
}

describe("SECURITY.md", () => {
  it("points only at tests that exist, by their exact names", () => {
    const refs = references();
    expect(refs.length).toBeGreaterThan(150);
    const missing = refs.filter(({ file, name }) => {
      const path = join(root, file);
      return !existsSync(path) || !readFileSync(path, "utf8").includes(name);
    });
    expect(missing).toEqual([]);
  });

  it("names every source file it cites", () => {
    const cited = [
      ...policy.matchAll(/`((?:src|durable-objects|devdb|cli|scripts|migrations|test|e2e)\/[\w./-]+)`/g),
    ].map(([, path = ""]) => path.replace(/\/$/, ""));
    expect(cited.filter((path) => !existsSync(join(root, path)))).toEqual([]);
  });
});
