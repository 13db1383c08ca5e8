import { z } from "zod";
import type { Actor } from "../core/actor";
import type { Admission } from "../gatekeeper/admission";

/**
 * What crosses the TenantHub's edges: the connection the Worker has authenticated, the row events
 * services publish, and the realtime socket's own messages.
 */

/** RFC 6455 §7.4.2 leaves 4000–4999 to applications: 4401 is "the credential stopped" (HTTP 401). */
export const CLOSE_REVOKED = 4401;
/** RFC 6455 §7.4.1: 1013 "try again later", for a consumer that cannot keep up. */
export const CLOSE_TRY_AGAIN = 1013;
/** A message the server could not finish within its deadline (RFC 6455 §7.4.1: internal error). */
export const CLOSE_SERVER_ERROR = 1011;

export const SOCKET_KINDS = ["mcp", "realtime"] as const;
export type SocketKind = (typeof SOCKET_KINDS)[number];

/** A socket the Worker has authenticated, handed to the hub with the upgrade. */
export interface Connection {
  kind: SocketKind;
  workspaceId: string;
  /** An API key or a signed-in user (the credential checked at connect time). */
  actor: Extract<Actor, { type: "apiKey" } | { type: "user" }>;
  credentialId: string;
  /** The user whose authority the socket carries: the session's user, or the key's creator. */
  userId: string;
  /** When the credential stops by itself (key expiry, session expiry); null: never. */
  expiresAt: number | null;
  /** Each message is admitted as a REST request of the same credential would be. */
  admission: Admission;
  ip: string | null;
  userAgent: string | null;
  /** The client asked for the `mcp` subprotocol (the hub's answer names it then). */
  subprotocol: boolean;
}

export const CONNECTION_HEADER = "X-Islet-Connection";

export const ROW_EVENT_TYPES = ["row.created", "row.updated", "row.deleted"] as const;
export interface RowEvent {
  type: (typeof ROW_EVENT_TYPES)[number];
  table: string;
  id: number;
  /** The row as written (created, updated); absent for deletions. */
  row?: Record<string, unknown>;
  /** Epoch ms of the commit. */
  at: number;
}

/**
 * A row event as the hub sends it: numbered by `position`, the workspace's event sequence (1, 2,
 * 3, … in the order the hub received them, kept in the hub's storage, so it survives hibernation
 * and eviction), and by `seq`, the socket's own count that `ack` refers to.
 */
export type PositionedEvent = RowEvent & { position: number };

/**
 * A realtime socket may have this many row events sent and not yet acknowledged
 * (`{"type":"ack","seq":n}`); one more and it is closed with 1013. workerd does not expose a
 * socket's send buffer (`bufferedAmount`), so the bound is kept in events, by the protocol.
 */
export const MAX_UNACKED_EVENTS = 500;

/** A realtime socket subscribes to at most this many tables (its list lives in the socket's attachment). */
export const MAX_SUBSCRIPTIONS = 20;
/** Largest frame a realtime socket may send; MCP frames may be as large as a REST body. */
export const MAX_REALTIME_FRAME = 16 * 1024;

const tables = z.array(z.string().min(1).max(63)).min(1).max(MAX_SUBSCRIPTIONS);
const requestId = z.string().max(64).optional();
const position = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

/**
 * What a realtime client may send. Anything else gets an error frame; the socket stays up.
 *
 * Resume: `subscribe` with `after: <position>` (the last position the client handled; only on a
 * socket's first subscription, which names every table it wants) is answered `subscribed`, then
 * every retained event of those tables after that position, in order, then live events — none
 * twice, none skipped. When the hub no longer holds all of them (older than the retention window,
 * REALTIME_RETENTION_EVENTS / REALTIME_RETENTION_MS) it sends `{"type":"resync","after","position"}`
 * instead: reload what you keep, then continue from `position`. A replay larger than the ack window
 * (MAX_UNACKED_EVENTS) pauses until the client acknowledges, and live events wait behind it.
 */
export const realtimeMessage = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("subscribe"), id: requestId, tables, after: position.optional() }),
  z.strictObject({ type: z.literal("unsubscribe"), id: requestId, tables }),
  z.strictObject({ type: z.literal("ping"), id: requestId }),
  /** Every event up to `seq` has been handled: that many more may be sent. */
  z.strictObject({ type: z.literal("ack"), seq: z.number().int().nonnegative() }),
]);
export type RealtimeMessage = z.infer<typeof realtimeMessage>;

/** What the hub keeps on each socket (hibernation-safe; serializeAttachment allows 2 KiB). */
export interface SocketAttachment {
  id: string;
  kind: SocketKind;
  /** Realtime: the tables subscribed to. */
  tables: string[];
  /** Realtime: the `seq` of the last event sent, and of the last one the client acknowledged. */
  sent: number;
  acked: number;
  /**
   * Realtime, while a resume is being replayed: the position of the last event replayed. Live
   * events are held for the socket meanwhile (they are in the hub's log and the replay reaches
   * them). Absent or null: live.
   */
  replayedTo?: number | null;
}
