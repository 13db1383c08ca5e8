// Namespaces: one SQLite file per namespace, `<dir>/<name>.db`, in WAL mode, each with a pool of
// idle connections and a write lock. `default` always exists. Snapshots (a devdb extension of the
// admin API, for backups) are consistent copies in `<dir>/snapshots/<name>/<id>.db`; they outlive
// their namespace, as a backup must, until deleted.
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { Conn } from "./conn.ts";
import { HttpError } from "./errors.ts";
import { WriteLock } from "./write-lock.ts";

export const DEFAULT_NAMESPACE = "default";
const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const MAX_IDLE_CONNECTIONS = 8;
/**
 * Idle connections kept across all namespaces of the process. Each holds file descriptors (the
 * database, its WAL and shared memory) and a page cache, so a devdb with thousands of namespaces
 * (a fleet benchmark, a busy dev machine) would run out of descriptors keeping them all: beyond
 * this, the connection idle the longest is closed, and reopened when its namespace is next used.
 */
const MAX_IDLE_TOTAL = 512;
/** Every idle connection, oldest first (a Map keeps insertion order), with its namespace. */
const idleEverywhere = new Map<Conn, Namespace>();

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
  private readonly idle: Conn[] = [];
  private closed = false;

  constructor(
    readonly name: string,
    readonly path: string,
  ) {}

  acquireConn(): Conn {
    if (this.closed)
      throw new HttpError(404, "NAMESPACE_NOT_FOUND", `Namespace \`${this.name}\` does not exist`);
    const idle = this.idle.pop();
    if (idle) {
      idleEverywhere.delete(idle);
      return idle;
    }
    return new Conn(this.path);
  }

  /** Returns a connection: its transaction is rolled back and its write lock released. */
  releaseConn(conn: Conn): void {
    // A connection that saw SQLITE_BUSY may keep a half-run statement (and its snapshot) alive.
    let reusable = !this.closed && !conn.tainted && !conn.poisoned && this.idle.length < MAX_IDLE_CONNECTIONS;
    try {
      conn.rollback();
      if (reusable) conn.setQueryOnly(false);
    } catch {
      reusable = false;
    }
    this.releaseLock(conn);
    if (!reusable) {
      conn.close();
      return;
    }
    this.idle.push(conn);
    idleEverywhere.set(conn, this);
    for (const [oldest, owner] of idleEverywhere) {
      if (idleEverywhere.size <= MAX_IDLE_TOTAL) break;
      idleEverywhere.delete(oldest);
      const at = owner.idle.indexOf(oldest);
      if (at !== -1) owner.idle.splice(at, 1);
      oldest.close();
    }
  }

  releaseLock(conn: Conn): void {
    if (!this.lock.holds(conn)) return;
    this.lock.release(conn);
    this.writeGeneration++;
  }

  /** Ends every user, closes every connection; `checkpoint` folds the WAL back into the file. */
  close(checkpoint: boolean): void {
    for (const user of [...this.users]) user.destroy();
    this.closed = true;
    this.lock.shut();
    const conns = this.idle.splice(0);
    for (const conn of conns) idleEverywhere.delete(conn);
    if (checkpoint) {
      try {
        const conn = conns[0] ?? new Conn(this.path);
        if (conns.length === 0) conns.push(conn);
        conn.checkpoint();
      } catch {
        // A checkpoint that cannot run now leaves the WAL in place; SQLite replays it on next open.
      }
    }
    for (const conn of conns) conn.close();
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

  constructor(private readonly dir: string) {}

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
   */
  snapshot(name: string): SnapshotInfo {
    const namespace = this.namespaces.get(checkNamespaceName(name));
    if (namespace === undefined)
      throw new HttpError(404, "NAMESPACE_NOT_FOUND", `Namespace \`${name}\` does not exist`);
    const dir = this.snapshotDir(name);
    mkdirSync(dir, { recursive: true });
    const createdAt = Date.now();
    const id = `${createdAt}-${randomBytes(4).toString("hex")}`;
    const path = join(dir, `${id}.db`);
    const conn = namespace.acquireConn();
    try {
      conn.exec(`VACUUM INTO '${path.replaceAll("'", "''")}'`);
    } catch (error) {
      // A copy that failed midway (disk full) must not be listed as a restorable snapshot.
      rmSync(path, { force: true });
      throw error;
    } finally {
      namespace.releaseConn(conn);
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
    const conn = new Conn(path);
    try {
      conn.exec("PRAGMA journal_mode=WAL");
    } finally {
      conn.close();
    }
    this.namespaces.set(to, new Namespace(to, path));
  }

  /** Opens the data directory: every valid `<name>.db` in it is a namespace. */
  init(): void {
    mkdirSync(this.dir, { recursive: true });
    for (const file of readdirSync(this.dir)) {
      const name = file.endsWith(".db") ? file.slice(0, -3) : "";
      if (isValidNamespace(name)) this.namespaces.set(name, new Namespace(name, join(this.dir, file)));
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
    const conn = new Conn(path);
    try {
      conn.exec("PRAGMA journal_mode=WAL");
    } finally {
      conn.close();
    }
    const namespace = new Namespace(name, path);
    this.namespaces.set(name, namespace);
    return namespace;
  }

  delete(name: string): void {
    checkNamespaceName(name);
    const namespace = this.namespaces.get(name);
    if (namespace === undefined) {
      throw new HttpError(404, "NAMESPACE_NOT_FOUND", `Namespace \`${name}\` does not exist`);
    }
    if (name === DEFAULT_NAMESPACE) {
      throw new HttpError(400, "NAMESPACE_PROTECTED", "The default namespace cannot be deleted");
    }
    this.namespaces.delete(name);
    namespace.close(false);
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${namespace.path}${suffix}`, { force: true });
  }

  /** Stops everything: open transactions are rolled back, WALs checkpointed, handles closed. */
  closeAll(): void {
    for (const namespace of this.namespaces.values()) namespace.close(true);
    this.namespaces.clear();
  }
}
