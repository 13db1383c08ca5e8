// `npm run bench -- <name> [...]`: runs bench/<name>.ts (each prints its own table with
// ratios against a baseline measured in the same run). With no name, runs every benchmark.
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && !["run.ts", "table.ts"].includes(f) && !f.startsWith("_"))
  .map((f) => f.replace(/\.ts$/, ""));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const names = wanted.length > 0 ? wanted : available;

for (const name of names) {
  if (!available.includes(name)) {
    console.error(`unknown benchmark "${name}"; available: ${available.join(", ")}`);
    process.exit(2);
  }
  const mod = (await import(join(here, `${name}.ts`))) as { default: () => Promise<void> };
  console.log(`\n## ${name}\n`);
  await mod.default();
}
