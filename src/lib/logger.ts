/**
 * Structured JSON-lines logging. Every line carries the request id. Callers pass fields, never
 * whole bodies; fields whose names look like credentials are redacted as a second line of defence.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

const SENSITIVE = /pass(word)?|secret|token|authorization|cookie|api[-_]?key|private|keyring|credential/i;

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value))
    out[key] = SENSITIVE.test(key) ? "[redacted]" : redact(v, depth + 1);
  return out;
}

/** Where lines go; tests can capture them to assert nothing secret is logged. */
export type LogSink = (line: string) => void;

let sink: LogSink = (line) => console.log(line);
export const setLogSink = (next: LogSink) => {
  const previous = sink;
  sink = next;
  return previous;
};

export function createLogger(base: LogFields = {}): Logger {
  const write = (level: LogLevel, message: string, fields?: LogFields) => {
    const safe = redact({ ...base, ...fields }) as LogFields;
    sink(JSON.stringify({ level, time: new Date().toISOString(), message, ...safe }));
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (fields) => createLogger({ ...base, ...fields }),
  };
}
