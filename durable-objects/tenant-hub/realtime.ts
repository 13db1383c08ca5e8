import { ApiError } from "../../src/lib/errors";
import { parseInput, type ServiceContext } from "../../src/services/core/context";
import { asApiError } from "../../src/services/core/errors";
import {
  type Connection,
  MAX_REALTIME_FRAME,
  MAX_SUBSCRIPTIONS,
  MAX_UNACKED_EVENTS,
  type RealtimeMessage,
  realtimeMessage,
  type SocketAttachment,
} from "../../src/services/hub/protocol";
import { getTable } from "../../src/services/tables";
import type { EventLog } from "./events";

/**
 * One frame of a realtime socket: `subscribe` (optionally resuming `after` a position) /
 * `unsubscribe` to tables, `ack`, `ping`. A bad frame (not text, too large, not JSON, an unknown
 * type, a table the credential may not read) gets an `error` frame with the envelope's code; the
 * socket stays up. Every frame, an `ack` that lets a paused replay go on included, is admitted
 * first (the credential checked again), so a replay never outlives the socket's authority.
 */
export async function handleRealtimeFrame(opts: {
  ws: WebSocket;
  ctx: ServiceContext;
  connection: Connection;
  message: string | ArrayBuffer;
  send: (frame: string) => void;
  admit: () => Promise<unknown>;
  log: EventLog;
}): Promise<void> {
  const { ws, ctx, connection, message, send, log } = opts;
  let id: string | undefined;
  try {
    await opts.admit();
    if (typeof message !== "string")
      throw new ApiError("invalid_request", "Realtime messages are text frames");
    if (message.length > MAX_REALTIME_FRAME) {
      throw new ApiError("payload_too_large", `Realtime frames are limited to ${MAX_REALTIME_FRAME} bytes`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      throw new ApiError("invalid_json", "The frame is not JSON");
    }
    const candidate = (parsed as { id?: unknown } | null)?.id;
    if (typeof candidate === "string" && candidate.length <= 64) id = candidate;
    const frame = parseInput(realtimeMessage, parsed);
    const reply = await answer(ws, ctx, connection, frame, log);
    if (reply) send(JSON.stringify(reply));
    // A resume starts (after `subscribe`) or goes on (after `ack`). While it lasts, publish skips
    // the socket and its events wait in the log; reading the log and going live again are one
    // synchronous step, so nothing is sent twice or skipped whenever a publish lands.
    replay(ws, log, send, frame.type === "subscribe" && frame.after !== undefined ? frame.id : undefined);
  } catch (thrown) {
    const error = asApiError(thrown, ctx.logger);
    send(
      JSON.stringify({
        type: "error",
        ...(id === undefined ? {} : { id }),
        error: {
          code: error.code,
          message: error.message,
          requestId: ctx.requestId,
          ...(error.details === undefined ? {} : { details: error.details }),
        },
      }),
    );
  }
}

async function answer(
  ws: WebSocket,
  ctx: ServiceContext,
  connection: Connection,
  frame: RealtimeMessage,
  log: EventLog,
) {
  if (frame.type === "ack") {
    // Acknowledged silently: an answer per ack would double the traffic it regulates.
    const attachment = ws.deserializeAttachment() as SocketAttachment;
    if (frame.seq > attachment.sent) throw new ApiError("invalid_request", "seq is ahead of the events sent");
    if (frame.seq > attachment.acked) ws.serializeAttachment({ ...attachment, acked: frame.seq });
    return null;
  }
  const ref = frame.id === undefined ? {} : { id: frame.id };
  if (frame.type === "ping") return { type: "pong", ...ref };
  const tables = [...new Set(frame.tables)];
  if (frame.type === "subscribe") {
    // The verb that REST's GET /tables/:table calls: the credential must be able to read the table
    // (scope, role, a key's allowlist), and it must exist. All or nothing.
    for (const table of tables)
      await getTable({ ctx, input: { workspaceId: connection.workspaceId, table } });
  }
  // Read again after the awaits: another frame of this socket may have changed the list meanwhile.
  const attachment = ws.deserializeAttachment() as SocketAttachment;
  const after = frame.type === "subscribe" ? frame.after : undefined;
  if (after !== undefined && (attachment.tables.length > 0 || isReplaying(attachment))) {
    // The socket's tables already receive live events: replaying them from `after` would send
    // some twice. A resuming client names every table in its first subscription.
    throw new ApiError("invalid_request", "`after` resumes only a socket's first subscription");
  }
  const next =
    frame.type === "subscribe"
      ? [...new Set([...attachment.tables, ...tables])]
      : attachment.tables.filter((t) => !tables.includes(t));
  if (next.length > MAX_SUBSCRIPTIONS) {
    throw new ApiError("invalid_request", `A socket subscribes to at most ${MAX_SUBSCRIPTIONS} tables`);
  }
  ws.serializeAttachment({
    ...attachment,
    tables: next,
    ...(after === undefined ? {} : { replayedTo: after }),
  });
  if (frame.type === "unsubscribe") return { type: "unsubscribed", ...ref, tables: next };
  // `position`: every event after it, of these tables, reaches this socket (replayed or live).
  return { type: "subscribed", ...ref, tables: next, position: log.head() };
}

const isReplaying = (attachment: SocketAttachment) => typeof attachment.replayedTo === "number";

/**
 * Sends a resuming socket the logged events it has not had yet, in position order, as many as its
 * ack window allows (MAX_UNACKED_EVENTS, as for live events: the rest follow its next `ack`), and
 * returns it to live delivery once it has caught up. If the log no longer holds what the socket
 * still needs, the socket gets `resync` and goes live from the log's head.
 */
export function replay(ws: WebSocket, log: EventLog, send: (frame: string) => void, id?: string): void {
  const attachment = ws.deserializeAttachment() as SocketAttachment | null;
  if (!attachment || !isReplaying(attachment)) return;
  const cursor = attachment.replayedTo as number;
  const room = MAX_UNACKED_EVENTS - (attachment.sent - attachment.acked);
  if (room <= 0) return;
  const result = log.after(cursor, attachment.tables, room, Date.now());
  if ("resync" in result) {
    ws.serializeAttachment({ ...attachment, replayedTo: null });
    send(
      JSON.stringify({
        type: "resync",
        ...(id === undefined ? {} : { id }),
        after: cursor,
        position: result.head,
      }),
    );
    return;
  }
  let seq = attachment.sent;
  for (const event of result.events) send(JSON.stringify({ ...event, seq: ++seq }));
  const last = result.events.at(-1)?.position ?? cursor;
  ws.serializeAttachment({ ...attachment, sent: seq, replayedTo: result.more ? last : null });
}
