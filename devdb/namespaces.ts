// Namespaces: one SQLite file per namespace, `<dir>/<name>.db`, in WAL mode, each with its idle
// connections and a write lock. `default` always exists. Snapshots (a devdb extension of the admin
// API, for backups) are consistent copies in `<dir>/snapshots/<name>/<id>.db`; they outlive their
// namespace, as a backup must, until deleted.
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import Database from "libsql";
import { Conn } from "./conn.ts";
import type { ConnHost, ConnPool, IdleConn } from "./conn-host.ts";
import { HranaError, HttpError, hranaErrorFromSqlite } from "./errors.ts";
import { WriteLock } from "./write-lock.ts";

export const DEFAULT_NAMESPACE = "default";
const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** Idle connections kept per namespace; across namespaces the pool's thread cap bounds them. */
const MAX_IDLE_CONNECTIONS = 8;

export function isValidNamespace(name: string): boolean {
  return NAME.test(name);
}

export function checkNamespaceName(name: string): string {
  if (!isValidNamespace(name)) {
    throw new HttpError(
      400,
      "NAMESPACE_INVALID",
      `Invalid namespace \`${name.slice(0, 80)}\`: use 1-63 characters from a-z, 0-9, _ and -, starting with a letter or digit`,
    );
  }
  return name;
}

const notFound = (name: string) =>
  new HttpError(404, "NAMESPACE_NOT_FOUND", `Namespace \`${name}\` does not exist`);

/**
 * Short maintenance on a file from devdb's own thread: switching a new file to WAL, the checkpoint
 * at shutdown. No user SQL runs here, so nothing here runs long.
 */
function onFile(path: string, sql: string): void {
  const db = new Database(path, {}) as unknown as { exec(sql: string): void; close(): void };
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

/** Something holding a connection of a namespace (a Hrana stream) that deletion must end. */
export interface NamespaceUser {
  destroy(): void;
}

export class Namespace {
  readonly lock = new WriteLock();
  /** Bumped after DDL so that other connections drop their cached statements. */
  schemaVersion = 0;
  /** Bumped whenever a writer lets go of the write lock, i.e. after every possible commit. */
  writeGeneration = 0;
  readonly users = new Set<NamespaceUser>();
  /** Idle connections, the most recently used last, and their entries in the pool's idle list. */
  private readonly idle: Conn[] = [];
  private readonly idleEntries = new Map<Conn, IdleConn>();
  /** Releases and closes under way: closing the namespace waits for them. */
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    readonly name: string,
    readonly path: string,
    private readonly pool: ConnPool,
  ) {}

  /** A connection: an idle one, or one opened on a thread the pool hands out within `waitMs`. */
  async acquireConn(waitMs: number): Promise<Conn> {
    if (this.closed) throw notFound(this.name);
    const idle = this.idle.pop();
    if (idle) {
      this.pool.removeIdle(this.idleEntries.get(idle) as IdleConn);
      this.idleEntries.delete(idle);
      return idle;
    }
    const host = await this.pool.take(waitMs);
    if (this.closed) {
      this.pool.giveBack(host);
      throw notFound(this.name);
    }
    let conn: Conn;
    try {
      conn = await Conn.open(host, this.path, waitMs);
    } catch (error) {
      this.pool.giveBack(host);
      throw hranaErrorFromSqlite(error);
    }
    if (this.closed) {
      void this.track(this.retire(conn));
      throw notFound(this.name);
    }
    return conn;
  }

  /** Returns a connection: its transaction is rolled back, then its write lock released. */
  releaseConn(conn: Conn): Promise<void> {
    return this.track(this.release(conn));
  }

  private async release(conn: Conn): Promise<void> {
    // A connection that saw SQLITE_BUSY may keep a half-run statement (and its snapshot) alive.
    let reusable = !conn.tainted && !conn.poisoned && this.idle.length < MAX_IDLE_CONNECTIONS;
    try {
      await conn.rollback();
    } catch {
      reusable = false;
    }
    this.releaseLock(conn);
    if (!reusable || this.closed) return this.retire(conn);
    this.idle.push(conn);
    const entry: IdleConn = { evict: () => this.evict(conn) };
    this.idleEntries.set(conn, entry);
    this.pool.addIdle(entry);
  }

  /** Closes a connection and gives its thread back to the pool. */
  private async retire(conn: Conn): Promise<void> {
    const host = await conn.close();
    if (host) this.pool.giveBack(host);
  }

  /** The pool takes an idle connection's thread: the connection is closed, the thread handed over. */
  private evict(conn: Conn): Promise<ConnHost | null> {
    const at = this.idle.indexOf(conn);
    if (at !== -1) this.idle.splice(at, 1);
    this.idleEntries.delete(conn);
    return this.track(conn.close());
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.pending.add(work);
    const forget = () => this.pending.delete(work);
    work.then(forget, forget);
    return work;
  }

  releaseLock(conn: Conn): void {
    if (!this.lock.holds(conn)) return;
    this.lock.release(conn);
    this.writeGeneration++;
  }

  /** Ends every user and closes every connection, after the statements still running on them. */
  async close(): Promise<void> {
    this.closed = true;
    for (const user of [...this.users]) user.destroy();
    this.lock.shut();
    for (const conn of this.idle.splice(0)) {
      this.pool.removeIdle(this.idleEntries.get(conn) as IdleConn);
      this.idleEntries.delete(conn);
      void this.track(this.retire(conn));
    }
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}

export interface SnapshotInfo {
  id: string;
  namespace: string;
  created_at: number;
  size: number;
}

const SNAPSHOT_ID = /^[0-9]{13}-[0-9a-f]{8}$/;

export class NamespaceStore {
  private readonly namespaces = new Map<string, Namespace>();

  constructor(
    private readonly dir: string,
    private readonly pool: ConnPool,
    /** How long an admin operation waits for a connection thread. */
    private readonly waitMs: number,
  ) {}

  private snapshotDir(name: string): string {
    return join(this.dir, "snapshots", checkNamespaceName(name));
  }

  private snapshotPath(name: string, id: string): string {
    if (!SNAPSHOT_ID.test(id)) throw new HttpError(404, "SNAPSHOT_NOT_FOUND", "No such snapshot");
    const path = join(this.snapshotDir(name), `${id}.db`);
    if (!existsSync(path)) throw new HttpError(404, "SNAPSHOT_NOT_FOUND", "No such snapshot");
    return path;
  }

  /**
   * A consistent copy of the namespace: `VACUUM INTO` reads inside one read transaction, so the
   * copy is the database as of one commit, whatever writers do meanwhile; it waits for no lock.
   * It runs on a connection thread with no statement deadline: an operator's backup of a large
   * namespace may take long, and holds up nothing else meanwhile.
   */
  async snapshot(name: string): Promise<SnapshotInfo> {
    const namespace = this.namespaces.get(checkNamespaceName(name));
    if (namespace === undefined) throw notFound(name);
    const dir = this.snapshotDir(name);
    mkdirSync(dir, { recursive: true });
    const createdAt = Date.now();
    const id = `${createdAt}-${randomBytes(4).toString("hex")}`;
    const path = join(dir, `${id}.db`);
    let conn: Conn;
    try {
      conn = await namespace.acquireConn(this.waitMs);
    } catch (error) {
      if (error instanceof HranaError) throw new HttpError(503, "SERVER_BUSY", error.message);
      throw error;
    }
    try {
      await conn.exec(`VACUUM INTO '${path.replaceAll("'", "''")}'`, 0);
    } catch (error) {
      // A copy that failed midway (disk full) must not be listed as a restorable snapshot.
      rmSync(path, { force: true });
      throw error;
    } finally {
      void namespace.releaseConn(conn);
    }
    return { id, namespace: name, created_at: createdAt, size: statSync(path).size };
  }

  listSnapshots(name: string): SnapshotInfo[] {
    const dir = this.snapshotDir(name);
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .map((file) => file.slice(0, -3))
      .filter((id) => SNAPSHOT_ID.test(id))
      .sort()
      .map((id) => ({
        id,
        namespace: name,
        created_at: Number(id.slice(0, 13)),
        size: statSync(join(dir, `${id}.db`)).size,
      }));
  }

  deleteSnapshot(name: string, id: string): void {
    rmSync(this.snapshotPath(name, id));
  }

  /** A new namespace `to` holding the snapshot's content; 409 when `to` exists. */
  restoreSnapshot(name: string, id: string, to: string): void {
    const source = this.snapshotPath(name, id);
    checkNamespaceName(to);
    const path = join(this.dir, `${to}.db`);
    if (this.namespaces.has(to) || existsSync(path)) {
      throw new HttpError(409, "NAMESPACE_EXISTS", `Namespace \`${to}\` already exists`);
    }
    copyFileSync(source, path);
    onFile(path, "PRAGMA journal_mode=WAL");
    this.namespaces.set(to, new Namespace(to, path, this.pool));
  }

  /** Opens the data directory: every valid `<name>.db` in it is a namespace. */
  init(): void {
    mkdirSync(this.dir, { recursive: true });
    for (const file of readdirSync(this.dir)) {
      const name = file.endsWith(".db") ? file.slice(0, -3) : "";
      if (isValidNamespace(name)) {
        this.namespaces.set(name, new Namespace(name, join(this.dir, file), this.pool));
      }
    }
    if (!this.namespaces.has(DEFAULT_NAMESPACE)) this.create(DEFAULT_NAMESPACE);
  }

  get(name: string): Namespace | undefined {
    return this.namespaces.get(name);
  }

  list(): string[] {
    return [...this.namespaces.keys()].sort();
  }

  create(name: string): Namespace {
    checkNamespaceName(name);
    const path = join(this.dir, `${name}.db`);
    if (this.namespaces.has(name) || existsSync(path)) {
      throw new HttpError(409, "NAMESPACE_EXISTS", `Namespace \`${name}\` already exists`);
    }
    // Creating the file and switching it to WAL once; journal_mode=WAL is persistent.
    onFile(path, "PRAGMA journal_mode=WAL");
    const namespace = new Namespace(name, path, this.pool);
    this.namespaces.set(name, namespace);
    return namespace;
  }

  /**
   * Deletes a namespace once its connections are closed (a statement still running on one ends at
   * its deadline): SQLite removes `-wal` by name when its last connection closes, so a file must
   * not be replaced under a connection still open on it.
   */
  async delete(name: string): Promise<void> {
    checkNamespaceName(name);
    const namespace = this.namespaces.get(name);
    if (namespace === undefined) throw notFound(name);
    if (name === DEFAULT_NAMESPACE) {
      throw new HttpError(400, "NAMESPACE_PROTECTED", "The default namespace cannot be deleted");
    }
    // Until its files are gone, creating the same name again answers 409 (the file still exists).
    this.namespaces.delete(name);
    await namespace.close();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${namespace.path}${suffix}`, { force: true });
  }

  /**
   * Stops everything: open transactions are rolled back, connections closed (their threads end
   * once idle), WALs checkpointed.
   */
  async closeAll(): Promise<void> {
    const namespaces = [...this.namespaces.values()];
    this.namespaces.clear();
    await Promise.all(namespaces.map((namespace) => namespace.close()));
    await this.pool.close();
    for (const namespace of namespaces) {
      try {
        onFile(namespace.path, "PRAGMA wal_checkpoint(TRUNCATE)");
      } catch {
        // A checkpoint that cannot run now leaves the WAL in place; SQLite replays it on next open.
      }
    }
  }
}
