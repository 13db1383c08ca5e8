// The threads SQLite connections live on (conn-thread.mjs), and the pool that bounds them. A thread
// holds one connection at a time, so one namespace's long statement occupies one thread and nothing
// else; the pool caps threads (each costs ~10 MB and, with its connection, three file descriptors),
// keeps idle connections open for reuse, and closes the one idle the longest when it needs a thread.
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { ThreadReply, ThreadRequest } from "./conn-protocol.ts";
import { HranaError } from "./errors.ts";

/** One thread; its requests are answered in the order they were sent. */
export class ConnHost {
  private readonly worker: Worker;
  private readonly pending: { resolve: (reply: ThreadReply) => void; reject: (error: Error) => void }[] = [];
  private stopped: Error | null = null;
  private readonly onStop: (host: ConnHost) => void;

  constructor(onStop: (host: ConnHost) => void) {
    this.onStop = onStop;
    // No loader flags of the parent (tsx, vitest's): the thread is plain JavaScript.
    this.worker = new Worker(join(import.meta.dirname, "conn-thread.mjs"), { execArgv: [] });
    // An idle thread never keeps the process alive; stop() ends them all anyway.
    this.worker.unref();
    this.worker.on("message", (reply: ThreadReply) => this.pending.shift()?.resolve(reply));
    this.worker.on("error", (error) => this.stop(error));
    this.worker.on("exit", (code) => this.stop(new Error(`devdb connection thread exited (${code})`)));
  }

  get alive(): boolean {
    return this.stopped === null;
  }

  call(request: ThreadRequest): Promise<ThreadReply> {
    if (this.stopped) return Promise.reject(this.stopped);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.worker.postMessage(request);
    });
  }

  private stop(error: Error): void {
    if (this.stopped) return;
    this.stopped = error;
    for (const call of this.pending.splice(0)) call.reject(error);
    this.onStop(this);
  }

  /** Ends the thread; a statement running on it ends first (at the latest at its deadline). */
  async terminate(): Promise<void> {
    this.stop(new Error("devdb is stopping"));
    await this.worker.terminate();
  }
}

/** An idle connection the pool may close to free its thread. */
export interface IdleConn {
  /** Closes the connection (and forgets it wherever it was pooled); resolves to its freed thread. */
  evict(): Promise<ConnHost | null>;
}

interface Waiter {
  resolve: (host: ConnHost | null) => void;
  timer: NodeJS.Timeout;
}

export class ConnPool {
  private readonly hosts = new Set<ConnHost>();
  /** Threads with no connection open. */
  private readonly free: ConnHost[] = [];
  /** Idle connections across namespaces, the one idle the longest first (a Set keeps order). */
  private readonly idle = new Set<IdleConn>();
  private readonly waiters: Waiter[] = [];
  private closed = false;

  constructor(readonly maxThreads: number) {}

  /**
   * A thread with no connection: a free one, a new one below the cap, the thread of the connection
   * idle the longest, or the next one given back within `timeoutMs` — else SQLITE_BUSY.
   */
  async take(timeoutMs: number): Promise<ConnHost> {
    for (;;) {
      if (this.closed) throw new HranaError("SQLITE_BUSY", "SQLite error: devdb is stopping");
      const free = this.free.pop();
      if (free?.alive) return free;
      if (free) continue;
      if (this.hosts.size < this.maxThreads) return this.spawn();
      const oldest = this.idle.values().next();
      if (!oldest.done) {
        this.idle.delete(oldest.value);
        const host = await oldest.value.evict();
        if (host?.alive) return host;
        continue;
      }
      const host = await new Promise<ConnHost | null>((resolve) => {
        const waiter: Waiter = {
          resolve,
          timer: setTimeout(() => {
            this.waiters.splice(this.waiters.indexOf(waiter), 1);
            resolve(null);
          }, timeoutMs),
        };
        this.waiters.push(waiter);
      });
      if (host === null) {
        if (this.closed) throw new HranaError("SQLITE_BUSY", "SQLite error: devdb is stopping");
        throw new HranaError(
          "SQLITE_BUSY",
          `SQLite error: database is locked (all ${this.maxThreads} devdb connections are in use)`,
        );
      }
      if (host.alive) return host;
    }
  }

  private spawn(): ConnHost {
    const host = new ConnHost((stopped) => {
      this.hosts.delete(stopped);
      // A waiter may take the place the stopped thread leaves.
      if (!this.closed && this.waiters.length > 0) this.giveBack(this.spawn());
    });
    this.hosts.add(host);
    return host;
  }

  /** A thread whose connection is closed: to the first waiter, else kept for reuse. */
  giveBack(host: ConnHost): void {
    if (!host.alive) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(host);
    } else {
      this.free.push(host);
    }
  }

  /** An idle connection; when a stream is waiting for a thread it gets this one's at once. */
  addIdle(conn: IdleConn): void {
    if (this.waiters.length > 0) {
      void conn.evict().then((host) => host && this.giveBack(host));
      return;
    }
    this.idle.add(conn);
  }

  removeIdle(conn: IdleConn): void {
    this.idle.delete(conn);
  }

  get threads(): number {
    return this.hosts.size;
  }

  /** Ends every thread; waiting streams get SQLITE_BUSY. */
  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.resolve(null);
    }
    this.idle.clear();
    this.free.length = 0;
    await Promise.all([...this.hosts].map((host) => host.terminate()));
  }
}
