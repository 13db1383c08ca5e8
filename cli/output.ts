// How the CLI speaks: tables for people, `--json` for scripts (one JSON document on stdout and
// nothing else there), progress on stderr so that it never mixes into either.
import { SingleBar } from "cli-progress";

export interface Output {
  json: boolean;
}

/** Prints `data` as JSON, or runs `human` for a person. */
export function emit(out: Output, data: unknown, human: () => void): void {
  if (out.json) process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  else human();
}

/** A plain aligned table (console.table adds an index column and quotes strings). */
export function table(rows: readonly object[], columns?: string[]): void {
  if (rows.length === 0) {
    console.log("(none)");
    return;
  }
  const records = rows as readonly Record<string, unknown>[];
  const cols = columns ?? Object.keys(rows[0] as object);
  const cell = (v: unknown) =>
    v === undefined || v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);
  const widths = cols.map((c) => Math.min(80, Math.max(c.length, ...records.map((r) => cell(r[c]).length))));
  const line = (values: string[]) =>
    values
      .map((v, i) =>
        v.length > (widths[i] as number)
          ? `${v.slice(0, (widths[i] as number) - 1)}…`
          : v.padEnd(widths[i] as number),
      )
      .join("  ")
      .trimEnd();
  console.log(line(cols));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const row of records) console.log(line(cols.map((c) => cell(row[c]))));
}

export interface Progress {
  tick(done: number, total: number, note?: string): void;
  stop(): void;
}

/** A progress bar with ETA on a terminal; a line per 10% otherwise; nothing with `--json`. */
export function progress(out: Output, label: string): Progress {
  if (out.json) return { tick: () => {}, stop: () => {} };
  if (process.stderr.isTTY) {
    const bar = new SingleBar({
      format: `${label} [{bar}] {value}/{total} | ETA {eta_formatted} | {note}`,
      stream: process.stderr,
      hideCursor: true,
    });
    let started = false;
    return {
      tick(done, total, note = "") {
        if (!started) {
          bar.start(total, 0, { note: "" });
          started = true;
        }
        bar.update(done, { note });
      },
      stop: () => started && bar.stop(),
    };
  }
  const startedAt = Date.now();
  return {
    tick(done, total) {
      const step = Math.max(1, Math.ceil(total / 10));
      if (done === total || done % step === 0) {
        const eta = done === 0 ? 0 : Math.round((((Date.now() - startedAt) / done) * (total - done)) / 1000);
        process.stderr.write(`${label} ${done}/${total}${done < total ? ` (ETA ${eta} s)` : ""}\n`);
      }
    },
    stop: () => {},
  };
}
