// One writer per namespace, granted in arrival order. SQLite allows a single write transaction per
// database; instead of letting its busy handler poll with sleeps (holding a connection thread, and
// serving writers in no particular order), devdb queues writers here and hands the lock over when
// the holder's transaction ends. A waiter that is not served within the busy timeout gets
// SQLITE_BUSY, never a hang.

interface Waiter {
  owner: object;
  resolve: (granted: boolean) => void;
  timer: NodeJS.Timeout;
}

export class WriteLock {
  private holder: object | null = null;
  private readonly waiters: Waiter[] = [];

  holds(owner: object): boolean {
    return this.holder === owner;
  }

  /** Resolves true once `owner` holds the lock, false after `timeoutMs` or when the lock is shut. */
  acquire(owner: object, timeoutMs: number): Promise<boolean> {
    if (this.holder === owner) return Promise.resolve(true);
    if (this.holder === null && this.waiters.length === 0) {
      this.holder = owner;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        owner,
        resolve,
        timer: setTimeout(() => {
          const at = this.waiters.indexOf(waiter);
          if (at !== -1) this.waiters.splice(at, 1);
          resolve(false);
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  release(owner: object): void {
    if (this.holder !== owner) return;
    const next = this.waiters.shift();
    this.holder = next?.owner ?? null;
    if (next !== undefined) {
      clearTimeout(next.timer);
      next.resolve(true);
    }
  }

  /** Refuses every waiter (namespace deleted or server stopping). */
  shut(): void {
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.resolve(false);
    }
    this.holder = null;
  }
}
