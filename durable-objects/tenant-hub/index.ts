import { DurableObject } from "cloudflare:workers";
import { deadlineIn, withBudget, withDeadline } from "../../src/lib/deadline";
import { ApiError } from "../../src/lib/errors";
import { newId } from "../../src/lib/ids";
import { createLogger } from "../../src/lib/logger";
import { handleMcpFrame } from "../../src/mcp/socket";
import type { WorkspaceAccess } from "../../src/services/core/access";
import { connectionServiceContext, type ServiceContext } from "../../src/services/core/context";
import { asApiError } from "../../src/services/core/errors";
import { rateLimitedError } from "../../src/services/gatekeeper";
import { admit } from "../../src/services/gatekeeper/admission";
import {
  CLOSE_REVOKED,
  CLOSE_SERVER_ERROR,
  CLOSE_TRY_AGAIN,
  CONNECTION_HEADER,
  type Connection,
  MAX_UNACKED_EVENTS,
  type RowEvent,
  type SocketAttachment,
} from "../../src/services/hub/protocol";
import { realtimeRetention } from "../../src/services/hub/retention";
import { authorizeSocket } from "../../src/services/realtime";
import { EventLog } from "./events";
import { handleRealtimeFrame } from "./realtime";
import { HubStore } from "./store";

export type { Connection, RowEvent } from "../../src/services/hub/protocol";

/** Open sockets one credential may hold, and one workspace: beyond them an upgrade gets 429. */
export const MAX_SOCKETS_PER_CREDENTIAL = 200;
export const MAX_SOCKETS_PER_HUB = 10_000;
/** The mark a deleted workspace leaves, so an upgrade admitted just before cannot land after. */
const WORKSPACE_GONE = "*";

/**
 * The TenantHub (architecture §1, §13): one object per workspace, holding its WebSockets (MCP over
 * WebSocket and realtime row events) through the hibernation API, so idle sockets cost no
 * running object.
 *
 * The Worker authenticates every socket before it reaches here (credential checked against the
 * database and the Gatekeeper, Origin checked for browsers) and hands over the `Connection`.
 * Each socket is tagged with its credential and the user whose authority it carries, which is
 * how `closeCredential` and `closeUser` find it, hibernated or not. Every message is admitted by
 * the Gatekeeper exactly as a REST request of the same credential (revocation and limits), so a
 * socket can neither outlive its credential nor out-spend it.
 */
export class TenantHub extends DurableObject<Cloudflare.Env> {
  private readonly store: HubStore;
  private readonly events: EventLog;

  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    this.store = new HubStore(ctx.storage.sql);
    this.store.migrate();
    this.events = new EventLog(ctx.storage.sql, realtimeRetention(env));
    this.events.migrate();
  }

  /** The upgrade, forwarded by the Worker with the connection it authenticated. */
  override async fetch(request: Request): Promise<Response> {
    const header = request.headers.get(CONNECTION_HEADER);
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket" || !header) {
      return new Response("expected an authenticated WebSocket upgrade", { status: 426 });
    }
    const connection = JSON.parse(header) as Connection;
    const now = Date.now();
    if (this.store.isStopped(connection.credentialId, now) || this.store.isStopped(WORKSPACE_GONE, now)) {
      return new Response(null, { status: 401 });
    }
    if (
      this.ctx.getWebSockets(`cred:${connection.credentialId}`).length >= MAX_SOCKETS_PER_CREDENTIAL ||
      this.ctx.getWebSockets().length >= MAX_SOCKETS_PER_HUB
    ) {
      return new Response(null, { status: 429 });
    }
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    const attachment: SocketAttachment = {
      id: newId("sock"),
      kind: connection.kind,
      tables: [],
      sent: 0,
      acked: 0,
    };
    this.ctx.acceptWebSocket(server, [
      `kind:${connection.kind}`,
      `cred:${connection.credentialId}`,
      `user:${connection.userId}`,
    ]);
    server.serializeAttachment(attachment);
    this.store.add(attachment.id, connection, now);
    // A credential that runs out by itself closes its socket then, not on its next message.
    if (connection.expiresAt !== null) await this.wakeAt(this.store.nextWake());
    return new Response(null, {
      status: 101,
      webSocket: client,
      ...(connection.subprotocol ? { headers: { "Sec-WebSocket-Protocol": "mcp" } } : {}),
    });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const attachment = ws.deserializeAttachment() as SocketAttachment | null;
    const connection = attachment ? this.store.get(attachment.id) : undefined;
    if (!attachment || !connection) {
      close(ws, CLOSE_REVOKED, "connection no longer known");
      return;
    }
    if (connection.expiresAt !== null && connection.expiresAt <= Date.now()) {
      this.closeSockets([ws], CLOSE_REVOKED, "credential expired");
      return;
    }
    const logger = createLogger({ socket: attachment.id, workspaceId: connection.workspaceId });
    const send = (frame: string) => {
      try {
        ws.send(frame);
      } catch {
        // Closed meanwhile (revoked while the message was served): nothing to tell.
      }
    };
    let ctx: ServiceContext;
    try {
      ctx = connectionServiceContext({
        env: this.env,
        actor: connection.actor,
        ip: connection.ip,
        userAgent: connection.userAgent,
        logger,
        waitUntil: (p) => this.ctx.waitUntil(p),
      });
    } catch (thrown) {
      const error = asApiError(thrown, logger);
      send(JSON.stringify({ type: "error", error: { code: error.code, message: error.message } }));
      return;
    }
    const admitMessage = () => this.admit(ws, ctx, connection);
    const handle = () =>
      connection.kind === "realtime"
        ? handleRealtimeFrame({ ws, ctx, connection, message, send, admit: admitMessage, log: this.events })
        : handleMcpFrame({ ctx, message, send, admit: admitMessage });
    // Each message has a request's budget (issue 19): its database calls take their deadlines
    // from it, and one that cannot finish at all closes the socket with 1011 rather than leave
    // the client waiting, half-open, for an answer that will not come.
    const ms = ctx.config.REQUEST_TIMEOUT_MS;
    try {
      await withBudget({ deadlineAt: Date.now() + ms, statementMs: ctx.config.DB_STATEMENT_TIMEOUT_MS }, () =>
        withDeadline("socket message", ms, () => handle()),
      );
    } catch (thrown) {
      const deadline = deadlineIn(thrown);
      if (!deadline) throw thrown;
      logger.error("socket message could not finish", { what: deadline.what, ms: deadline.ms });
      this.closeSockets(
        [ws],
        CLOSE_SERVER_ERROR,
        "the server could not finish this message in time; reconnect",
      );
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.forget(ws);
    // Answer the client's close (the runtime may already have: then this is a no-op).
    close(ws, code === 1005 || code === 1006 ? 1000 : code, reason);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.forget(ws);
  }

  /**
   * Row events of committed writes: numbered with the workspace's next positions and logged for
   * resuming sockets (./events.ts), then sent to the realtime sockets subscribed to their tables,
   * each numbered per socket too (`seq`). A socket still replaying a resume is skipped: its replay
   * reaches these events in the log, in order. A consumer with MAX_UNACKED_EVENTS unacknowledged is
   * closed with 1013 rather than buffered without bound. Returns how many frames were sent.
   */
  async publish(rowEvents: RowEvent[]): Promise<number> {
    // No await from here to the end: logging and fan-out are one turn, so a socket's subscribe
    // (./realtime.ts) sees either all of this publish in the log or gets all of it live.
    const events = this.events.append(rowEvents, Date.now());
    let sent = 0;
    for (const ws of this.ctx.getWebSockets("kind:realtime")) {
      const attachment = ws.deserializeAttachment() as SocketAttachment | null;
      if (!attachment || typeof attachment.replayedTo === "number") continue;
      const due = events.filter((e) => attachment.tables.includes(e.table));
      if (due.length === 0) continue;
      let seq = attachment.sent;
      let behind = false;
      for (const event of due) {
        if (seq - attachment.acked >= MAX_UNACKED_EVENTS) {
          behind = true;
          break;
        }
        try {
          ws.send(JSON.stringify({ ...event, seq: ++seq }));
          sent++;
        } catch {
          break;
        }
      }
      if (behind) this.closeSockets([ws], CLOSE_TRY_AGAIN, "too far behind: acknowledge events; reconnect");
      else ws.serializeAttachment({ ...attachment, sent: seq });
    }
    return sent;
  }

  /**
   * Closes the sockets a credential opened with 4401, now or at `at` (a rotated key's grace end,
   * by alarm). Returns how many closed now.
   */
  async closeCredential(credentialId: string, reason: string, at?: number): Promise<number> {
    const now = Date.now();
    if (at !== undefined && at > now) {
      await this.wakeAt(this.store.schedule(credentialId, at, reason));
      return 0;
    }
    this.store.markStopped(credentialId, now);
    return this.closeSockets(this.ctx.getWebSockets(`cred:${credentialId}`), CLOSE_REVOKED, reason);
  }

  /** Closes every socket that carries a user's authority (their sessions, the keys they made). */
  async closeUser(userId: string, reason: string): Promise<number> {
    return this.closeSockets(this.ctx.getWebSockets(`user:${userId}`), CLOSE_REVOKED, reason);
  }

  /** Closes every socket of the workspace (it is being deleted). */
  async closeAll(reason: string): Promise<number> {
    this.store.markStopped(WORKSPACE_GONE, Date.now());
    return this.closeSockets(this.ctx.getWebSockets(), CLOSE_REVOKED, reason);
  }

  /**
   * The workspace is deleted: every socket closes, the hub's storage (connections, marks,
   * alarms) is erased, and only the "workspace gone" mark is written back, so an upgrade that
   * was authorized before the deletion is still refused when it arrives.
   */
  async forgetWorkspace(reason: string): Promise<number> {
    const closed = this.closeSockets(this.ctx.getWebSockets(), CLOSE_REVOKED, reason);
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.store.migrate();
    this.events.migrate();
    this.store.markStopped(WORKSPACE_GONE, Date.now());
    return closed;
  }

  /** Open sockets by kind (operators, tests, benchmarks). */
  async stats(): Promise<{ mcp: number; realtime: number }> {
    return {
      mcp: this.ctx.getWebSockets("kind:mcp").length,
      realtime: this.ctx.getWebSockets("kind:realtime").length,
    };
  }

  override async alarm(): Promise<void> {
    const now = Date.now();
    for (const due of this.store.takeDue(now)) {
      this.store.markStopped(due.credentialId, now);
      this.closeSockets(this.ctx.getWebSockets(`cred:${due.credentialId}`), CLOSE_REVOKED, due.reason);
    }
    const expired = this.store.expired(now);
    if (expired.size > 0) {
      const sockets = this.ctx.getWebSockets().filter((ws) => {
        const id = (ws.deserializeAttachment() as SocketAttachment | null)?.id;
        return id !== undefined && expired.has(id);
      });
      this.closeSockets(sockets, CLOSE_REVOKED, "credential expired");
      // And the rows of sockets that went away while the hub slept.
      for (const id of expired) this.store.remove(id);
    }
    await this.wakeAt(this.store.nextWake());
  }

  /** One alarm, at the earliest of the scheduled closes and expiries. */
  private async wakeAt(at: number | null): Promise<void> {
    if (at === null) return;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at || current <= Date.now()) await this.ctx.storage.setAlarm(at);
  }

  /**
   * Each message's checks: the Gatekeeper hop (revocation, limits), then the credential's hold on
   * the workspace, read from the database again. A credential that was revoked, or whose holder
   * left the workspace, closes its socket then and there, whether or not the close call reached
   * this hub when it happened.
   */
  private async admit(ws: WebSocket, ctx: ServiceContext, connection: Connection): Promise<WorkspaceAccess> {
    const { result, refused } = await admit(ctx.env, connection.admission);
    if (result.revoked) {
      this.closeSockets([ws], CLOSE_REVOKED, "credential revoked");
      throw new ApiError("credential_revoked", "This credential has been revoked");
    }
    if (refused) throw rateLimitedError(refused);
    try {
      return await authorizeSocket(ctx, connection.workspaceId, connection.kind);
    } catch (thrown) {
      if (thrown instanceof ApiError && [401, 403, 404].includes(thrown.status)) {
        this.closeSockets([ws], CLOSE_REVOKED, "no longer authorized in this workspace");
      }
      throw thrown;
    }
  }

  private closeSockets(sockets: WebSocket[], code: number, reason: string): number {
    for (const ws of sockets) {
      this.forget(ws);
      close(ws, code, reason);
    }
    return sockets.length;
  }

  private forget(ws: WebSocket): void {
    const attachment = ws.deserializeAttachment() as SocketAttachment | null;
    if (attachment) this.store.remove(attachment.id);
  }
}

/** RFC 6455 §5.5.1: a close reason is at most 123 bytes. */
function close(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason.slice(0, 120));
  } catch {
    // Already closed.
  }
}
