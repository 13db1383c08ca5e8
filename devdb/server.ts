// devdb: a local libSQL server. It speaks to @libsql/client what sqld speaks (Hrana over HTTP,
// namespaces, Ed25519 JWT auth, the admin API), over SQLite files written by the `libsql` package.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdminHandler } from "./admin.ts";
import { JwtVerifier } from "./auth.ts";
import { ConnPool } from "./conn-host.ts";
import { createHranaHandler } from "./hrana-http.ts";
import { NamespaceStore } from "./namespaces.ts";
import { StreamRegistry } from "./streams.ts";

export interface DevdbOptions {
  /** Data directory; one SQLite file per namespace inside it. */
  dir: string;
  /** 0 or undefined = pick a free port. */
  port?: number;
  /** 0 or undefined = pick a free port. */
  adminPort?: number;
  /** Default "127.0.0.1". */
  host?: string;
  /** Ed25519 public key: PEM (SPKI) text, or sqld's raw base64url 32-byte form. */
  jwtPublicKey?: string;
  /** When set, the admin API requires `Authorization: Bearer <adminToken>`. */
  adminToken?: string;
  /** Default 10 MiB; larger request bodies get 413. */
  maxBodyBytes?: number;
  /** Idle baton streams expire after this long (default 10 s, like sqld); their txn is rolled back. */
  streamIdleTimeoutMs?: number;
  /** How long a writer waits for the namespace's write lock before SQLITE_BUSY (default 5000). */
  busyTimeoutMs?: number;
  /**
   * Each statement (a `sequence` as a whole) is interrupted inside SQLite once it has run this long
   * (default 5000, the Worker's DB_STATEMENT_TIMEOUT_MS); 0 turns the deadline off.
   */
  statementTimeoutMs?: number;
  /**
   * Connections open at once across namespaces, each on its own thread (default 32, ~14 MB each). Beyond it the
   * connection idle the longest is closed; when all are in use a stream waits up to
   * `busyTimeoutMs`, then gets SQLITE_BUSY.
   */
  maxConnections?: number;
  /** Default: silent. */
  log?: (line: string) => void;
}

export interface Devdb {
  url: string;
  adminUrl: string;
  port: number;
  adminPort: number;
  stop(): Promise<void>;
}

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  port: number,
  host: string,
): Promise<Server> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}

async function close(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

/** The Worker's statement deadline (src/config.ts DB_STATEMENT_TIMEOUT_MS): a statement it gave up on stops. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_CONNECTIONS = 32;

const urlFor = (host: string, port: number) => `http://${host.includes(":") ? `[${host}]` : host}:${port}`;

export async function startDevdb(opts: DevdbOptions): Promise<Devdb> {
  const host = opts.host ?? "127.0.0.1";
  const log = opts.log ?? (() => {});
  const jwt = opts.jwtPublicKey === undefined ? null : await JwtVerifier.create(opts.jwtPublicKey);
  const busyTimeoutMs = opts.busyTimeoutMs ?? 5000;
  const pool = new ConnPool(opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS);
  const namespaces = new NamespaceStore(opts.dir, pool, busyTimeoutMs);
  namespaces.init();
  const streams = new StreamRegistry(opts.streamIdleTimeoutMs ?? 10_000, busyTimeoutMs, log);

  let user: Server | undefined;
  let admin: Server | undefined;
  try {
    user = await listen(
      createHranaHandler({
        namespaces,
        streams,
        jwt,
        maxBodyBytes: opts.maxBodyBytes ?? 10 * 1024 * 1024,
        busyTimeoutMs,
        statementTimeoutMs: opts.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS,
        log,
      }),
      opts.port ?? 0,
      host,
    );
    admin = await listen(
      createAdminHandler({ namespaces, adminToken: opts.adminToken, log }),
      opts.adminPort ?? 0,
      host,
    );
  } catch (error) {
    if (user) await close(user);
    streams.closeAll();
    await namespaces.closeAll();
    throw error;
  }

  const port = (user.address() as AddressInfo).port;
  const adminPort = (admin.address() as AddressInfo).port;
  let stopping: Promise<void> | undefined;
  return {
    url: urlFor(host, port),
    adminUrl: urlFor(host, adminPort),
    port,
    adminPort,
    stop() {
      stopping ??= (async () => {
        await Promise.all([close(user), close(admin)]);
        // Streams first (their transactions roll back), then checkpoint and close every file.
        streams.closeAll();
        await namespaces.closeAll();
        log("stopped");
      })();
      return stopping;
    },
  };
}
