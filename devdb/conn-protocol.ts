// What devdb's event loop and a connection thread (conn-thread.mjs) say to each other: one request,
// one reply, in order.
import type { SqlValue } from "./values.ts";

export type ThreadRequest =
  | { op: "open"; path: string; busyTimeoutMs: number }
  | {
      op: "run";
      sql: string;
      args: SqlValue[];
      wantRows: boolean;
      isIud: boolean;
      isInsert: boolean;
      schemaVersion: number;
      queryOnly: boolean;
      /** libsql's query timeout: SQLite is interrupted after this long (0: never). */
      timeoutMs: number;
    }
  | { op: "exec"; sql: string; queryOnly: boolean; timeoutMs: number }
  | { op: "describe"; sql: string; schemaVersion: number }
  | { op: "rollback" }
  | { op: "checkpoint" }
  | { op: "close" };

/** A failure as plain data: a SQLite error keeps its extended result code; `hrana` is devdb's own. */
export interface ThreadError {
  message: string;
  rawCode?: number;
  hrana?: string;
}

export type ThreadReply =
  | { ok: true; result: unknown; inTransaction: boolean }
  | { ok: false; error: ThreadError; inTransaction: boolean };
