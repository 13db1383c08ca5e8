import { ApiError } from "../../src/lib/errors";
import { parseInput, type ServiceContext } from "../../src/services/core/context";
import { asApiError } from "../../src/services/core/errors";
import {
  type Connection,
  MAX_REALTIME_FRAME,
  MAX_SUBSCRIPTIONS,
  type RealtimeMessage,
  realtimeMessage,
  type SocketAttachment,
} from "../../src/services/hub/protocol";
import { getTable } from "../../src/services/tables";

/**
 * One frame of a realtime socket: `subscribe` / `unsubscribe` to tables, `ping`. A bad frame (not
 * text, too large, not JSON, an unknown type, a table the credential may not read) gets an
 * `error` frame with the envelope's code; the socket stays up.
 */
export async function handleRealtimeFrame(opts: {
  ws: WebSocket;
  ctx: ServiceContext;
  connection: Connection;
  message: string | ArrayBuffer;
  send: (frame: string) => void;
  admit: () => Promise<unknown>;
}): Promise<void> {
  const { ws, ctx, connection, message, send } = opts;
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
    const reply = await answer(ws, ctx, connection, frame);
    if (reply) send(JSON.stringify(reply));
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

async function answer(ws: WebSocket, ctx: ServiceContext, connection: Connection, frame: RealtimeMessage) {
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
  const next =
    frame.type === "subscribe"
      ? [...new Set([...attachment.tables, ...tables])]
      : attachment.tables.filter((t) => !tables.includes(t));
  if (next.length > MAX_SUBSCRIPTIONS) {
    throw new ApiError("invalid_request", `A socket subscribes to at most ${MAX_SUBSCRIPTIONS} tables`);
  }
  ws.serializeAttachment({ ...attachment, tables: next });
  return { type: frame.type === "subscribe" ? "subscribed" : "unsubscribed", ...ref, tables: next };
}
