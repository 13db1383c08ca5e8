import type { Connection } from "../../src/services/hub/protocol";

type Row = Record<string, SqlStorageValue>;

/** Longer than any connect takes from the Worker's credential check to the hub. */
const STOPPED_MEMORY_MS = 5 * 60_000;

/**
 * The hub's durable state in its own SQLite database: each open socket's connection (too large for
 * a socket attachment: a key's table allowlist alone may pass 2 KiB) and the closes scheduled for
 * the end of a rotation's grace period. Both survive hibernation and eviction.
 */
export class HubStore {
  constructor(private readonly sql: SqlStorage) {}

  migrate(): void {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS connections (
      id TEXT PRIMARY KEY, connection TEXT NOT NULL, connected_at INTEGER NOT NULL, expires_at INTEGER)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS scheduled_closes (
      credential_id TEXT PRIMARY KEY, at INTEGER NOT NULL, reason TEXT NOT NULL)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS stopped_credentials (
      credential_id TEXT PRIMARY KEY, at INTEGER NOT NULL)`);
  }

  /**
   * Remembers a credential closed here for a while, so an upgrade the Worker admitted just before
   * the revocation (its check and the revoke crossed) is refused when it reaches the hub.
   */
  markStopped(credentialId: string, now: number): void {
    this.sql.exec("DELETE FROM stopped_credentials WHERE at < ?", now - STOPPED_MEMORY_MS);
    this.sql.exec(
      "INSERT INTO stopped_credentials (credential_id, at) VALUES (?, ?) ON CONFLICT (credential_id) DO UPDATE SET at = excluded.at",
      credentialId,
      now,
    );
  }

  isStopped(credentialId: string, now: number): boolean {
    return (
      this.sql
        .exec<Row>(
          "SELECT 1 FROM stopped_credentials WHERE credential_id = ? AND at >= ?",
          credentialId,
          now - STOPPED_MEMORY_MS,
        )
        .toArray().length > 0
    );
  }

  add(id: string, connection: Connection, at: number): void {
    this.sql.exec(
      "INSERT INTO connections (id, connection, connected_at, expires_at) VALUES (?, ?, ?, ?)",
      id,
      JSON.stringify(connection),
      at,
      connection.expiresAt,
    );
  }

  /** Sockets whose credential has run out by itself (a key's expiry, an access token's). */
  expired(now: number): Set<string> {
    return new Set(
      this.sql
        .exec<Row>("SELECT id FROM connections WHERE expires_at <= ?", now)
        .toArray()
        .map((r) => String(r.id)),
    );
  }

  get(id: string): Connection | undefined {
    const row = this.sql.exec<Row>("SELECT connection FROM connections WHERE id = ?", id).toArray()[0];
    return row ? (JSON.parse(String(row.connection)) as Connection) : undefined;
  }

  remove(id: string): void {
    this.sql.exec("DELETE FROM connections WHERE id = ?", id);
  }

  /** Keeps the earliest close for a credential. Returns when the hub must next wake. */
  schedule(credentialId: string, at: number, reason: string): number {
    this.sql.exec(
      `INSERT INTO scheduled_closes (credential_id, at, reason) VALUES (?, ?, ?)
       ON CONFLICT (credential_id) DO UPDATE SET at = MIN(at, excluded.at)`,
      credentialId,
      at,
      reason,
    );
    return this.nextWake() as number;
  }

  /** The closes due at `now`, removed from the schedule. */
  takeDue(now: number): { credentialId: string; reason: string }[] {
    const due = this.sql
      .exec<Row>("SELECT credential_id, reason FROM scheduled_closes WHERE at <= ?", now)
      .toArray()
      .map((r) => ({ credentialId: String(r.credential_id), reason: String(r.reason) }));
    this.sql.exec("DELETE FROM scheduled_closes WHERE at <= ?", now);
    return due;
  }

  /** The earliest scheduled close or connection expiry, if any. */
  nextWake(): number | null {
    const row = this.sql
      .exec<Row>(
        `SELECT MIN(at) AS at FROM (SELECT at FROM scheduled_closes
           UNION ALL SELECT expires_at AS at FROM connections WHERE expires_at IS NOT NULL)`,
      )
      .toArray()[0];
    return row?.at === null || row?.at === undefined ? null : Number(row.at);
  }
}
