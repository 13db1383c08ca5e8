import type { ServiceContext } from "../context";

export interface RevokedCredential {
  kind: "key" | "session";
  /** The key id or the session id. */
  id: string;
  workspaceId?: string;
  /** When the credential stops working, if later than now (a rotation's grace period). */
  effectiveAt?: number;
}

export type RevocationListener = (ctx: ServiceContext, credential: RevokedCredential) => Promise<void> | void;

const listeners: RevocationListener[] = [];

/**
 * Lets transports that hold long-lived connections (WebSockets, MCP over WebSocket) close the
 * ones a revoked credential opened. The Gatekeeper already refuses the credential's next
 * request; listeners handle what is already connected (DESIGN §13: within a second).
 */
export function onRevocation(listener: RevocationListener): void {
  listeners.push(listener);
}

/**
 * Called after a key or session has been revoked (its Gatekeeper record written). Listener
 * failures are logged, never thrown: the revocation itself has already happened.
 */
export async function onCredentialRevoked(ctx: ServiceContext, credential: RevokedCredential): Promise<void> {
  ctx.logger.info("credential revoked", {
    kind: credential.kind,
    id: credential.id,
    workspaceId: credential.workspaceId,
    effectiveAt: credential.effectiveAt,
  });
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
