/**
 * The client's end of a hub socket is held by the Worker, which relays frames between it and the
 * TenantHub (architecture §13: when a credential stops, the client sees its socket close within a second
 * — the close handshake completes and the close event fires).
 *
 * Why the hub's own socket is not handed back: when the first frame a client sends on a socket a
 * Durable Object accepted is its answer to the server's close frame, workerd's pump keeps waiting
 * for a next frame (kj's WebSocket pipe carries on after a close it handed to a pending receive),
 * and a hibernatable socket is not released to end it either: only garbage collection or the
 * hub's eviction, 10 s after its last event, does. RFC 6455 §7.1.1 has the client wait for the
 * server to end the connection, so a client that only listens — a browser tab, a realtime client
 * before it subscribes, any socket revoked before it spoke — stays CLOSING: Chromium for 2 s,
 * Node's WebSocket and `ws` until the eviction (`ws` at most 30 s), and its cleanup and reconnect
 * wait with it. A socket a Worker accept()s is released once both close frames have crossed,
 * which ends the connection. The hub keeps its socket (now to the Worker) and keeps hibernating.
 */
export function relayToClient(hub: WebSocket, headers: Headers): Response {
  const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
  for (const end of [hub, server]) {
    end.accept();
    // Binary frames pass as they came (the default, Blob, could not be sent on).
    end.binaryType = "arraybuffer";
  }
  forward(server, hub);
  forward(hub, server);
  return new Response(null, { status: 101, webSocket: client, headers });
}

/** Messages and the close of `from` go on to `to`; an error on `from` closes `to`. */
function forward(from: WebSocket, to: WebSocket): void {
  from.addEventListener("message", (event) => {
    try {
      to.send(event.data as string | ArrayBuffer);
    } catch {
      // `to` is closing: its own close event ends the other side too.
    }
  });
  from.addEventListener("close", (event) => closeWith(to, event.code, event.reason));
  from.addEventListener("error", () => closeWith(to, 1011, "the other side of the socket failed"));
}

/**
 * RFC 6455 §7.4.1: 1005, 1006 and 1015 describe a close without sending one (no status, the
 * connection dropped, TLS failed) and may not be sent; such a close goes on as a normal one.
 */
function closeWith(ws: WebSocket, code: number, reason: string): void {
  const sendable = code >= 1000 && code < 5000 && ![1004, 1005, 1006, 1015].includes(code);
  try {
    if (sendable) ws.close(code, reason);
    else ws.close(1000);
  } catch {
    // Already closed.
  }
}
