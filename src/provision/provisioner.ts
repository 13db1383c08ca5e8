import type { Region } from "../lib/tenancy";

/** A tenant database as the provisioner hands it out: where it is and a token for it alone. */
export interface ProvisionedDatabase {
  url: string;
  token: string;
}

/**
 * A point a database can be restored to (architecture §10, backups): on devdb a snapshot (a consistent
 * copy of the namespace file, `ref` its id); on Turso a point-in-time-restore timestamp (`ref`, ISO
 * 8601: Turso keeps the history, so recording the moment is the backup).
 */
export interface BackupPoint {
  kind: "snapshot" | "pitr";
  /** The database the point was taken of. */
  dbName: string;
  ref: string;
  /**
   * The end of the provider's point-in-time window for this point (epoch ms): Turso keeps a
   * database's history for its plan's retention period only, and a timestamp older than that
   * restores nothing. Absent for snapshots, which are files kept until they are dropped.
   */
  restorableUntil?: number;
}

/**
 * Creates and destroys per-workspace databases (architecture §11). Implementations are idempotent:
 * `create` of an existing name returns that database (with a fresh token), `destroy` of a
 * missing one succeeds.
 */
export interface Provisioner {
  readonly kind: "local" | "turso";
  create(name: string, region: Region): Promise<ProvisionedDatabase>;
  destroy(name: string): Promise<void>;
  exists(name: string): Promise<boolean>;
  /** Every database the provisioner holds (islet's and any other), for garbage collection. */
  list(): Promise<string[]>;
  /** Records a backup point of `name` now. */
  backup(name: string): Promise<BackupPoint>;
  /** A new database `into` (in `region`) holding the database as of `point`. */
  restore(point: BackupPoint, into: string, region: Region): Promise<ProvisionedDatabase>;
  /** Frees what the point holds (a snapshot file); a missing one succeeds. */
  dropBackup(point: BackupPoint): Promise<void>;
  /**
   * The provider's own figure for the bytes `name` occupies, where it has one (Turso bills by it);
   * without it islet measures the database itself (page_count × page_size).
   */
  storageBytes?(name: string): Promise<number>;
}

/** An upstream refused or failed; the message is safe to show, the upstream body is not kept. */
export class ProvisionError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = "ProvisionError";
  }
}

/** Database names valid both as devdb namespaces and Turso database names. */
export const DB_NAME = /^[a-z0-9][a-z0-9-]{2,62}$/;

export async function upstream(
  url: string,
  init: RequestInit & { timeoutMs?: number },
  what: string,
): Promise<Response> {
  try {
    // The platform token goes to the configured API only: a redirect is answered, never followed.
    return await fetch(url, {
      ...init,
      redirect: "manual",
      signal: AbortSignal.timeout(init.timeoutMs ?? 10_000),
    });
  } catch (error) {
    const reason = error instanceof Error && error.name === "TimeoutError" ? "timed out" : "is unreachable";
    throw new ProvisionError(`${what} ${reason}`);
  }
}
