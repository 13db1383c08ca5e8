/**
 * A principal's recent traffic, for people to look at (the dashboard's usage charts): admitted
 * units and refused requests per minute over the last hour and per UTC day over the last 30
 * days. Clock-free like the limiter (every call takes `now`). It decides nothing: the limiter's
 * sliding windows stay the only authority on admission; this is what was decided, bucketed.
 * Memory and storage are bounded: at most MINUTES + DAYS buckets of three numbers.
 */

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;
/** Per-minute buckets kept: the last hour. */
export const MINUTES = 60;
/** Per-day buckets kept (UTC days): the last 30. */
export const DAYS = 30;

export interface TrafficBucket {
  /** Epoch ms the bucket starts (a minute or a UTC day). */
  start: number;
  admitted: number;
  /** Requests refused with 429 (a limit or a failure backoff), whatever their cost. */
  refused: number;
}

export interface TrafficSnapshot {
  minutes: [start: number, admitted: number, refused: number][];
  days: [start: number, admitted: number, refused: number][];
}

class Buckets {
  private readonly counts = new Map<number, { admitted: number; refused: number }>();

  constructor(
    private readonly size: number,
    private readonly keep: number,
  ) {}

  add(now: number, admitted: number, refused: number): void {
    const start = Math.floor(now / this.size) * this.size;
    const bucket = this.counts.get(start) ?? { admitted: 0, refused: 0 };
    bucket.admitted += admitted;
    bucket.refused += refused;
    this.counts.set(start, bucket);
    this.prune(now);
  }

  /** Every bucket of the kept span, oldest first, zeros included (a chart needs the gaps). */
  view(now: number): TrafficBucket[] {
    const current = Math.floor(now / this.size) * this.size;
    return Array.from({ length: this.keep }, (_, i) => {
      const start = current - (this.keep - 1 - i) * this.size;
      const bucket = this.counts.get(start);
      return { start, admitted: bucket?.admitted ?? 0, refused: bucket?.refused ?? 0 };
    });
  }

  entries(now: number): [number, number, number][] {
    this.prune(now);
    return [...this.counts].map(([start, b]) => [start, b.admitted, b.refused]);
  }

  restore(entries: [number, number, number][], now: number): void {
    for (const [start, admitted, refused] of entries) {
      if (start % this.size === 0) this.counts.set(start, { admitted, refused });
    }
    this.prune(now);
  }

  private prune(now: number): void {
    const oldest = Math.floor(now / this.size) * this.size - (this.keep - 1) * this.size;
    // A clock that steps back keeps its future buckets: they age out in their turn.
    for (const start of this.counts.keys()) if (start < oldest) this.counts.delete(start);
  }
}

export class TrafficHistory {
  private readonly minutes = new Buckets(MINUTE_MS, MINUTES);
  private readonly days = new Buckets(DAY_MS, DAYS);
  /** Changed since the last `snapshot` (the owner persists it with the counters). */
  dirty = false;

  admitted(units: number, now: number): void {
    if (units <= 0) return;
    this.minutes.add(now, units, 0);
    this.days.add(now, units, 0);
    this.dirty = true;
  }

  refused(now: number, count = 1): void {
    if (count <= 0) return;
    this.minutes.add(now, 0, count);
    this.days.add(now, 0, count);
    this.dirty = true;
  }

  view(now: number): { minutes: TrafficBucket[]; days: TrafficBucket[] } {
    return { minutes: this.minutes.view(now), days: this.days.view(now) };
  }

  snapshot(now: number): TrafficSnapshot {
    this.dirty = false;
    return { minutes: this.minutes.entries(now), days: this.days.entries(now) };
  }

  restore(snapshot: TrafficSnapshot, now: number): void {
    this.minutes.restore(snapshot.minutes, now);
    this.days.restore(snapshot.days, now);
  }
}
