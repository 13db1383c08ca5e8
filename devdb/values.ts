// The shapes of values and results as they cross between SQLite and Hrana (HRANA_3_SPEC.md,
// "Values"): shared by the protocol (protocol.ts) and the connection threads (conn-protocol.ts).

/** A SQLite value as devdb binds and reads it (libsql in safe-integer mode). */
export type SqlValue = null | bigint | number | string | Uint8Array;

export type ProtoValue =
  | { type: "null" }
  | { type: "integer"; value: string }
  | { type: "float"; value: number }
  | { type: "text"; value: string }
  | { type: "blob"; base64: string };

export interface Col {
  name: string | null;
  decltype: string | null;
}

export interface StmtResult {
  cols: Col[];
  rows: ProtoValue[][];
  affected_row_count: number;
  last_insert_rowid: string | null;
  query_duration_ms: number;
}
