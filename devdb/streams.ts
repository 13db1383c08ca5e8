// Hrana-over-HTTP streams and their batons (HRANA_3_SPEC.md, "Hrana over HTTP"): a stream is a
// connection that spans HTTP requests. Every response hands out a fresh random baton and retires
// the previous one, so batons are unguessable and each can be used once, which serialises the
// requests of a stream. Idle streams expire (sqld: 10 s) and their transaction is rolled back.
import { randomBytes } from "node:crypto";
import type { Conn } from "./conn.ts";
import { HttpError } from "./errors.ts";
import type { Namespace, NamespaceUser } from "./namespaces.ts";

/** How long an expired baton is still recognised, to answer STREAM_EXPIRED rather than "invalid". */
const TOMBSTONE_MS = 5 * 60_000;
/** Open streams at once; each may hold a connection (a file handle) until it expires. */
export const MAX_OPEN_STREAMS = 1000;

export class Stream implements NamespaceUser {
  private connection: Conn | null = null;
  /** SQL texts stored with `store_sql`, scoped to this stream. */
  readonly sqls = new Map<number, string>();
  closed = false;
  /**
   * Set when a statement ran past its deadline inside a transaction, which was rolled back: every
   * later request but `close` is refused with this message, so the client cannot go on as if its
   * transaction were still open (its next writes would each commit on their own). The stream is not
   * ended: @libsql/client would take a null baton as leave to open a fresh stream and carry on.
   */
  abortedBy: string | null = null;
  baton: string | null = null;
  timer: NodeJS.Timeout | undefined;

  constructor(
    readonly namespace: Namespace,
    private readonly connWaitMs: number,
    private readonly onDestroy: (stream: Stream) => void,
  ) {
    namespace.users.add(this);
  }

  /** The stream's connection, taken from the namespace (or a pool thread) on first use. */
  async conn(): Promise<Conn> {
    if (this.closed) throw streamClosed();
    // Outside a transaction a connection carries no state the client can see, so a poisoned one
    // is swapped for a fresh one here.
    if (this.connection?.poisoned && !this.connection.inTransaction) {
      void this.namespace.releaseConn(this.connection);
      this.connection = null;
    }
    if (this.connection === null) {
      const conn = await this.namespace.acquireConn(this.connWaitMs);
      // The stream may have been closed while waiting (namespace deleted, server stopping).
      if (this.closed || this.connection !== null) {
        void this.namespace.releaseConn(conn);
        if (this.closed) throw streamClosed();
      } else {
        this.connection = conn;
      }
    }
    return this.connection as Conn;
  }

  /** True when the stream has no connection yet or it is outside a transaction. */
  get isAutocommit(): boolean {
    return this.connection === null || !this.connection.inTransaction;
  }

  /**
   * Between requests, a connection outside a transaction goes back to the pool (it holds a thread);
   * one with PRAGMAs or TEMP objects of the client's stays with its stream.
   */
  park(): void {
    if (this.connection === null || this.connection.inTransaction || this.connection.tainted) return;
    void this.namespace.releaseConn(this.connection);
    this.connection = null;
  }

  /** Closes the stream: an open transaction is rolled back and the connection returned. */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.namespace.users.delete(this);
    if (this.connection !== null) void this.namespace.releaseConn(this.connection);
    this.connection = null;
    this.onDestroy(this);
  }
}

const streamClosed = () => new HttpError(400, "STREAM_CLOSED", "Stream for this baton was closed");

export class StreamRegistry {
  private readonly byBaton = new Map<string, Stream>();
  private readonly expired = new Map<string, number>();
  private readonly all = new Set<Stream>();

  constructor(
    private readonly idleTimeoutMs: number,
    /** How long a stream waits for a connection thread when all are in use. */
    private readonly connWaitMs: number,
    private readonly log: (line: string) => void,
  ) {}

  open(namespace: Namespace): Stream {
    if (this.all.size >= MAX_OPEN_STREAMS) {
      throw new HttpError(
        429,
        "TOO_MANY_STREAMS",
        `Server can't handle more than ${MAX_OPEN_STREAMS} open streams`,
      );
    }
    const stream = new Stream(namespace, this.connWaitMs, (s) => this.forget(s));
    this.all.add(stream);
    return stream;
  }

  /** Takes the stream a baton refers to; the baton is spent. */
  acquire(baton: string, namespace: Namespace): Stream {
    const stream = this.byBaton.get(baton);
    if (stream === undefined) {
      if (this.expired.has(baton)) {
        throw new HttpError(400, "STREAM_EXPIRED", "The stream has expired due to inactivity");
      }
      throw new HttpError(400, "BATON_INVALID", "Received an invalid baton");
    }
    // A baton only works against the namespace its stream was opened on.
    if (stream.namespace !== namespace) {
      throw new HttpError(400, "BATON_INVALID", "Received an invalid baton");
    }
    this.byBaton.delete(baton);
    stream.baton = null;
    clearTimeout(stream.timer);
    return stream;
  }

  /** Parks a stream after a request and returns its next baton (null once it is closed). */
  release(stream: Stream): string | null {
    if (stream.closed) return null;
    stream.park();
    const baton = randomBytes(24).toString("base64url");
    stream.baton = baton;
    this.byBaton.set(baton, stream);
    stream.timer = setTimeout(() => this.expire(stream), this.idleTimeoutMs);
    stream.timer.unref();
    return baton;
  }

  private expire(stream: Stream): void {
    const baton = stream.baton;
    const wasInTransaction = !stream.isAutocommit;
    stream.destroy();
    if (baton !== null) this.expired.set(baton, Date.now());
    const cutoff = Date.now() - TOMBSTONE_MS;
    for (const [old, at] of this.expired) {
      if (at >= cutoff) break;
      this.expired.delete(old);
    }
    this.log(
      `stream on namespace ${stream.namespace.name} expired after ${this.idleTimeoutMs} ms idle` +
        (wasInTransaction ? "; its transaction was rolled back" : ""),
    );
  }

  private forget(stream: Stream): void {
    if (stream.baton !== null) this.byBaton.delete(stream.baton);
    this.all.delete(stream);
  }

  closeAll(): void {
    for (const stream of [...this.all]) stream.destroy();
    this.expired.clear();
  }
}
