// `npm run bench -- <name> [...]`: runs bench/<name>.ts (each prints its own table with
// ratios against a baseline measured in the same run). With no name, runs every benchmark.
// What a benchmark prints goes to the terminal and, once it finishes, into its section of
// bench/REPORT.md (`--no-report` leaves the file alone). A benchmark that fails writes nothing.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { format } from "node:util";
import { isStackNoise, replaceSection } from "./report";

const here = dirname(fileURLToPath(import.meta.url));
const reportPath = join(here, "REPORT.md");
const available = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && !["run.ts", "table.ts", "report.ts"].includes(f) && !f.startsWith("_"))
  .map((f) => f.replace(/\.ts$/, ""));
const args = process.argv.slice(2);
const writeReport = !args.includes("--no-report");
const wanted = args.filter((a) => !a.startsWith("-"));
const names = wanted.length > 0 ? wanted : available;

for (const name of names) {
  if (!available.includes(name)) {
    console.error(`unknown benchmark "${name}"; available: ${available.join(", ")}`);
    process.exit(2);
  }
}

for (const name of names) {
  const mod = (await import(join(here, `${name}.ts`))) as { default: () => Promise<void> };
  console.log(`\n## ${name}\n`);
  // Tee console.log: the terminal sees everything as it happens, the report gets the same text.
  const printed: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => {
    const text = format(...parts);
    if (!isStackNoise(text)) printed.push(text);
    log(...parts);
  };
  try {
    await mod.default();
  } finally {
    console.log = log;
  }
  if (writeReport) {
    writeFileSync(reportPath, replaceSection(readFileSync(reportPath, "utf8"), name, printed.join("\n")));
    console.log(`\n(bench/REPORT.md: the ${name} section is updated)`);
  }
}
