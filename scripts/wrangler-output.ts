// `wrangler dev`'s start-up chatter, as `npm start` shows it: the lines a person starting islet
// needs nothing from (wrangler's banner, the bindings table it prints once per start and again
// on each dev-registry update, a types hint that compares against .dev.vars rather than
// .dev.vars.example, its own "Ready on" before the Worker can answer, successful /health probes)
// are left out. Every other line passes: warnings, errors, build failures and the Worker's own
// logs (a degraded /health included) are never filtered.

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes are what is stripped
const ANSI = /\u001b\[[0-9;]*m/g;

const NOISE: readonly RegExp[] = [
  /^⛅️ wrangler \d/,
  /^─+$/,
  /^Using (secrets|vars) defined in /,
  /^❓ Your types might be out of date/,
  /^⎔ Starting local server/,
  /^⎔ Connection status updated/,
  /^⎔ Reloading local server/,
  /^\[wrangler:info\] Ready on /,
];
/**
 * workerd's internal error (with its native stack) for an outbound fetch whose name does not
 * resolve, as on a laptop offline: the code that fetched handles it and logs its own sentence
 * (the breached-password check: "unavailable; password allowed"), so the trace says nothing more.
 */
const DNS_FAILURE =
  /\[ERROR\].*(failed to lookup address information|Name or service not known|Temporary failure in name resolution)/;
const TABLE_START = /^Your Worker has access to the following bindings:/;
const TABLE_ROW = /^(Binding\s+Resource|env\.\S+)/;

/**
 * Access lines for /health (the Worker's and wrangler's): only probes call it, the start's own
 * every 250 ms until the Worker is ready, and their lines would land after the announcement.
 */
const HEALTH_PROBE = /("method":"GET","path":"\/health",.*"status":200|^\[wrangler:info\] GET \/health 200 )/;

/** A line filter for one stream; keeps its own state (inside a bindings table or not). */
export function wranglerLineFilter(): (line: string) => boolean {
  let inTable = false;
  let lastBlank = true;
  /** Lines left of a DNS failure's block: up to its `stack:` line. */
  let inDnsTrace = 0;
  return (line) => {
    const plain = line.replace(ANSI, "").trim();
    if (HEALTH_PROBE.test(plain)) return false;
    if (DNS_FAILURE.test(plain)) {
      inDnsTrace = 3;
      return false;
    }
    if (inDnsTrace > 0) {
      inDnsTrace = plain.startsWith("stack:") ? 0 : inDnsTrace - 1;
      if (plain === "" || plain.startsWith("stack:")) return false;
    }
    if (TABLE_START.test(plain)) {
      inTable = true;
      return false;
    }
    if (inTable && TABLE_ROW.test(plain)) return false;
    inTable = false;
    if (NOISE.some((re) => re.test(plain))) return false;
    // What the left-out lines were separated by: at most one blank line in a row.
    const blank = plain === "";
    if (blank && lastBlank) return false;
    lastBlank = blank;
    return true;
  };
}

/** Pipes `source` to `sink` line by line through a fresh filter. */
export function pipeFiltered(source: NodeJS.ReadableStream, sink: NodeJS.WritableStream): void {
  const keep = wranglerLineFilter();
  let partial = "";
  source.setEncoding("utf8");
  source.on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) if (keep(line)) sink.write(`${line}\n`);
  });
  source.on("end", () => {
    if (partial && keep(partial)) sink.write(`${partial}\n`);
  });
}
