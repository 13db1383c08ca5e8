import type { PositionedEvent, RowEvent } from "../../src/services/hub/protocol";
import type { Retention } from "../../src/services/hub/retention";

type Row = Record<string, SqlStorageValue>;

/** What a resuming socket gets from the log: the next events, or word that the window lost some. */
export type Replay = { events: PositionedEvent[]; more: boolean } | { resync: true; head: number };

/**
 * The workspace's row events, numbered and kept in the hub's own SQLite database (so positions and
 * the window survive hibernation and eviction), for sockets that resume `after` a position
 * (architecture §5). Bounded by the retention window: at most `events` of them, none stored more than
 * `ms` ago; `prunedThrough` remembers how far it has forgotten, which is how a gap too old to
 * replay is told from one that had no events for the socket's tables.
 */
export class EventLog {
  constructor(
    private readonly sql: SqlStorage,
    private readonly retention: Retention,
  ) {}

  migrate(): void {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS events (
      position INTEGER PRIMARY KEY, table_name TEXT NOT NULL, stored_at INTEGER NOT NULL, event TEXT NOT NULL)`);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS event_log (
      id INTEGER PRIMARY KEY CHECK (id = 1), head INTEGER NOT NULL, pruned_through INTEGER NOT NULL)`);
    this.sql.exec("INSERT OR IGNORE INTO event_log (id, head, pruned_through) VALUES (1, 0, 0)");
  }

  /** The position of the latest event (0 before the first). */
  head(): number {
    return this.state().head;
  }

  /**
   * Numbers and stores a publish's events, then forgets what fell out of the window. One
   * synchronous run of statements: the object's storage commits it as one (no await inside).
   */
  append(events: RowEvent[], now: number): PositionedEvent[] {
    let { head } = this.state();
    const positioned = events.map((event) => ({ ...event, position: ++head }));
    for (const event of positioned) {
      this.sql.exec(
        "INSERT INTO events (position, table_name, stored_at, event) VALUES (?, ?, ?, ?)",
        event.position,
        event.table,
        now,
        JSON.stringify(event),
      );
    }
    this.sql.exec("UPDATE event_log SET head = ? WHERE id = 1", head);
    this.prune(now);
    return positioned;
  }

  /**
   * Up to `limit` events of `tables` after position `after`, in order; `more` when others follow.
   * `resync` when the log no longer holds everything after `after` (pruned), or never did (a
   * position ahead of the log's).
   */
  after(after: number, tables: string[], limit: number, now: number): Replay {
    this.prune(now);
    const { head, prunedThrough } = this.state();
    if (after > head || after < prunedThrough) return { resync: true, head };
    if (tables.length === 0 || after === head) return { events: [], more: false };
    const rows = this.sql
      .exec<Row>(
        `SELECT event FROM events WHERE position > ? AND table_name IN (${tables.map(() => "?").join(", ")})
         ORDER BY position LIMIT ?`,
        after,
        ...tables,
        limit + 1,
      )
      .toArray();
    return {
      events: rows.slice(0, limit).map((r) => JSON.parse(String(r.event)) as PositionedEvent),
      more: rows.length > limit,
    };
  }

  private state(): { head: number; prunedThrough: number } {
    const row = this.sql.exec<Row>("SELECT head, pruned_through FROM event_log WHERE id = 1").one();
    return { head: Number(row.head), prunedThrough: Number(row.pruned_through) };
  }

  /**
   * Forgets the oldest events past either bound. Events are stored in position order, so the
   * expired ones are a prefix: the scan stops at the first one still young enough.
   */
  private prune(now: number): void {
    const { head, prunedThrough } = this.state();
    const youngest = this.sql
      .exec<Row>(
        "SELECT position FROM events WHERE position > ? AND stored_at >= ? ORDER BY position LIMIT 1",
        prunedThrough,
        now - this.retention.ms,
      )
      .toArray()[0];
    const byAge = youngest ? Number(youngest.position) - 1 : head;
    const floor = Math.max(prunedThrough, head - this.retention.events, byAge);
    if (floor === prunedThrough) return;
    this.sql.exec("DELETE FROM events WHERE position <= ?", floor);
    this.sql.exec("UPDATE event_log SET pruned_through = ? WHERE id = 1", floor);
  }
}
