import type { ServiceContext } from "../core/context";
import { closeCredentialSockets, closeSessionSockets } from "../hub";

export interface RevokedCredential {
  kind: "key" | "session";
  /** The key id or the session id. */
  id: string;
  /** A key's workspace. */
  workspaceId?: string;
  /** A session's user. */
  userId?: string;
  /** When the credential stops working, if later than now (a rotation's grace period). */
  effectiveAt?: number;
}

export type RevocationListener = (ctx: ServiceContext, credential: RevokedCredential) => Promise<void> | void;

const listeners: RevocationListener[] = [];

/**
 * Lets transports that hold long-lived connections (WebSockets, MCP over WebSocket) close the
 * ones a revoked credential opened. The Gatekeeper already refuses the credential's next
 * request; listeners handle what is already connected (architecture §13: within a second).
 */
export function onRevocation(listener: RevocationListener): void {
  listeners.push(listener);
}

/**
 * Called after a key or session has been revoked (its Gatekeeper record written), before the
 * revoking call answers: the credential's open sockets close (4401) now, or when a rotation's
 * grace period ends (architecture §13: within a second). Then the listeners. Failures are logged, never
 * thrown: the revocation itself has already happened, and the Gatekeeper refuses any socket's
 * next message regardless.
 */
export async function onCredentialRevoked(ctx: ServiceContext, credential: RevokedCredential): Promise<void> {
  ctx.logger.info("credential revoked", {
    kind: credential.kind,
    id: credential.id,
    workspaceId: credential.workspaceId,
    effectiveAt: credential.effectiveAt,
  });
  if (credential.kind === "key" && credential.workspaceId) {
    await closeCredentialSockets(
      ctx,
      credential.workspaceId,
      credential.id,
      "API key revoked",
      credential.effectiveAt,
    );
  } else if (credential.kind === "session" && credential.userId) {
    await closeSessionSockets(ctx, credential.userId, credential.id, "session ended");
  }
  for (const listener of listeners) {
    try {
      await listener(ctx, credential);
    } catch (error) {
      ctx.logger.error("revocation listener failed", {
        kind: credential.kind,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
