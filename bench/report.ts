// bench/REPORT.md is written by the benchmarks themselves: each section holds, between
// `<!-- bench:<name> -->` and `<!-- /bench:<name> -->`, what that benchmark printed on its last
// successful run, stamped with when and where it ran. The prose around the markers is written by
// people and never touched, so a rerun refreshes the figures without losing what explains them.
import { cpus } from "node:os";

const open = (name: string) => `<!-- bench:${name} -->`;
const close = (name: string) => `<!-- /bench:${name} -->`;

/**
 * Lines a benchmark's stack prints while it runs, not results: the Worker's JSON log lines (the
 * services log with console.log in process) and wrangler's own status lines. The terminal still
 * shows them; the report keeps what the benchmark printed as its findings.
 */
export const isStackNoise = (line: string): boolean => /^\{"level":"|^\[(wrangler|mf|vite)[:\]]/.test(line);

/** The stamp that heads a generated block: the figures mean little without the machine. */
export function stamp(now = new Date()): string {
  const cores = cpus();
  const model = cores[0]?.model.trim().replace(/\s+/g, " ") ?? "unknown CPU";
  return `_Measured ${now.toISOString().slice(0, 16).replace("T", " ")} UTC on ${cores.length} × ${model}, Node ${process.version}._`;
}

/**
 * `report` with `name`'s block replaced by `output` (a new section at the end when the report has
 * none for it yet). Only the text between the markers changes.
 */
export function replaceSection(report: string, name: string, output: string, heading = stamp()): string {
  if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`invalid benchmark name "${name}"`);
  const block = `${open(name)}\n${heading}\n\n${output.trim()}\n${close(name)}`;
  const start = report.indexOf(open(name));
  const end = report.indexOf(close(name));
  if (start === -1 && end === -1) {
    return `${report.trimEnd()}\n\n## ${name} — \`npm run bench -- ${name}\`\n\n${block}\n`;
  }
  if (start === -1 || end < start) throw new Error(`bench/REPORT.md: the markers of "${name}" are broken`);
  return report.slice(0, start) + block + report.slice(end + close(name).length);
}
