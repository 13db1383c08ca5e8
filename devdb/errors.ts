// Errors devdb reports. HTTP-level failures end the request (and the stream, as in sqld); statement
// failures become Hrana `Error` structures inside an otherwise successful response.

/** Fails the whole HTTP request: `{ "error": message, "message": message, "code": code }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A statement-level failure: reported as a Hrana `Error` (`{ message, code }`). */
export class HranaError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

// Primary result codes (sqlite3.h). sqld reports the primary code's name, not the extended one
// (libsql-server/src/hrana/stmt.rs, sqlite_error_code), and @libsql/client exposes it as err.code.
const PRIMARY_CODES: Record<number, string> = {
  1: "SQLITE_ERROR",
  2: "SQLITE_INTERNAL",
  3: "SQLITE_PERM",
  4: "SQLITE_ABORT",
  5: "SQLITE_BUSY",
  6: "SQLITE_LOCKED",
  7: "SQLITE_NOMEM",
  8: "SQLITE_READONLY",
  9: "SQLITE_INTERRUPT",
  10: "SQLITE_IOERR",
  11: "SQLITE_CORRUPT",
  12: "SQLITE_NOTFOUND",
  13: "SQLITE_FULL",
  14: "SQLITE_CANTOPEN",
  15: "SQLITE_PROTOCOL",
  16: "SQLITE_EMPTY",
  17: "SQLITE_SCHEMA",
  18: "SQLITE_TOOBIG",
  19: "SQLITE_CONSTRAINT",
  20: "SQLITE_MISMATCH",
  21: "SQLITE_MISUSE",
  22: "SQLITE_NOLFS",
  23: "SQLITE_AUTH",
  24: "SQLITE_FORMAT",
  25: "SQLITE_RANGE",
  26: "SQLITE_NOTADB",
};

interface LibsqlFailure {
  message: string;
  code?: unknown;
  rawCode?: unknown;
}

const isLibsqlFailure = (error: unknown): error is LibsqlFailure =>
  error instanceof Error && (typeof (error as LibsqlFailure).rawCode === "number" || "code" in error);

/** The extended result code of a libsql error, if it carries one. */
export function extendedCode(error: unknown): number | undefined {
  if (!isLibsqlFailure(error)) return undefined;
  return typeof error.rawCode === "number" ? error.rawCode : undefined;
}

/** Maps an error thrown by the libsql package to the Hrana error sqld would send. */
export function hranaErrorFromSqlite(error: unknown): HranaError {
  if (error instanceof HranaError) return error;
  const raw = extendedCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (raw === undefined) return new HranaError("SQLITE_UNKNOWN", `SQLite error: ${message}`);
  // The low byte of an extended code is its primary code.
  const code = PRIMARY_CODES[raw & 0xff] ?? "SQLITE_UNKNOWN";
  return new HranaError(code, `SQLite error: ${message}`);
}

export const busyError = (): HranaError =>
  new HranaError("SQLITE_BUSY", "SQLite error: database is locked (busy timeout exceeded)");
