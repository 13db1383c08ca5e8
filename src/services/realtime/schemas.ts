import { z } from "zod";
import { epochMs, workspaceIdInput } from "../core/schemas";

/** A socket ticket lives this long and opens one socket (architecture §13). */
export const TICKET_TTL_MS = 30_000;

export const SOCKET_KINDS = ["mcp", "realtime"] as const;
export type SocketKind = (typeof SOCKET_KINDS)[number];

export const socketTicketBody = z.strictObject({ workspaceId: workspaceIdInput });
export const socketTicketInput = socketTicketBody;
/** `ist_` and 43 base64url characters (256 bits). */
export const ticketFormat = z.string().regex(/^ist_[A-Za-z0-9_-]{43}$/, "must be a socket ticket");
export const redeemTicketInput = z.object({ ticket: ticketFormat });

/** What an upgrade request may carry besides its credential. */
export const socketQuery = z.object({
  /** The workspace to connect to: needed for a signed-in user's token; a key or ticket implies it. */
  workspaceId: workspaceIdInput.optional(),
  /** A ticket from POST /v1/realtime/ticket, for browsers (they cannot set Authorization). */
  ticket: z.string().max(100).optional(),
});

export const SocketTicket = z.object({
  /** Present once as `?ticket=` on the upgrade request, within 30 s. */
  ticket: z.string(),
  expiresAt: epochMs,
});
export type SocketTicket = z.infer<typeof SocketTicket>;
