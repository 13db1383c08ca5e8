// bench/REPORT.md is the benchmarks' own output: every benchmark has a generated block there, and
// a rerun replaces exactly that block.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isStackNoise, replaceSection } from "../bench/report";

const bench = join(import.meta.dirname, "..", "bench");
const report = readFileSync(join(bench, "REPORT.md"), "utf8");
const benchmarks = readdirSync(bench)
  .filter((f) => f.endsWith(".ts") && !["run.ts", "table.ts", "report.ts"].includes(f) && !f.startsWith("_"))
  .map((f) => f.replace(/\.ts$/, ""));

describe("bench/REPORT.md", () => {
  it("has one generated block per benchmark", () => {
    for (const name of benchmarks) {
      expect(report.split(`<!-- bench:${name} -->`).length - 1, name).toBe(1);
      expect(report.split(`<!-- /bench:${name} -->`).length - 1, name).toBe(1);
    }
  });

  it("replaces a benchmark's block and nothing else", () => {
    const next = replaceSection(report, "vault", "| a | b |\n|---|---|\n| 1 | 2 |\n", "_stamp_");
    const [before, rest] = report.split("<!-- bench:vault -->") as [string, string];
    const after = rest.slice(rest.indexOf("<!-- /bench:vault -->"));
    expect(next).toBe(`${before}<!-- bench:vault -->\n_stamp_\n\n| a | b |\n|---|---|\n| 1 | 2 |\n${after}`);
    // Running it again gives the same document: the markers survive a rerun.
    expect(replaceSection(next, "vault", "| a | b |\n|---|---|\n| 1 | 2 |", "_stamp_")).toBe(next);
  });

  it("adds a section for a benchmark the report does not know yet", () => {
    const next = replaceSection("# Benchmarks\n", "fresh", "figures", "_stamp_");
    expect(next).toBe(
      "# Benchmarks\n\n## fresh — `npm run bench -- fresh`\n\n<!-- bench:fresh -->\n_stamp_\n\nfigures\n<!-- /bench:fresh -->\n",
    );
  });

  it("refuses broken markers rather than guessing", () => {
    expect(() => replaceSection("<!-- /bench:x -->\n<!-- bench:x -->", "x", "y")).toThrow(/broken/);
  });
});

describe("what a benchmark's report keeps", () => {
  it("drops the stack's log lines and keeps the findings", () => {
    expect(
      isStackNoise('{"level":"info","time":"2026-12-08T00:58:45.439Z","message":"workspace provisioned"}'),
    ).toBe(true);
    expect(isStackNoise("[wrangler:info] QUEUE islet-webhooks 10/10 (217ms)")).toBe(true);
    expect(isStackNoise("| row insert | 300 | 201 |")).toBe(false);
    expect(isStackNoise("(workerd rows: request time minus the median no-op request, 3.1 ms.)")).toBe(false);
  });
});
