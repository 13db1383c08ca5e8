import { eq } from "drizzle-orm";
import type { Bindings } from "../../config";
import { controlDb } from "../../db/control/client";
import { memberships } from "../../db/control/schema";
import { withDeadline } from "../../lib/deadline";
import { ApiError } from "../../lib/errors";
import type { ServiceContext } from "../core/context";
import { CONNECTION_HEADER, type Connection, type RowEvent } from "./protocol";
import { relayToClient } from "./relay";

export type { Connection, RowEvent } from "./protocol";

/**
 * The Worker's client for the TenantHub (one per workspace): hands it authenticated sockets,
 * publishes committed row events, and closes the sockets of credentials that stopped.
 */
interface HubEnv {
  TENANT_HUB?: HubNamespace;
  ENVIRONMENT?: string;
}
/** The hub as its binding types it (wrangler types): its RPC methods, without the class itself. */
type HubNamespace = NonNullable<Bindings["TENANT_HUB"]>;
type HubStub = ReturnType<HubNamespace["get"]>;

function hubOf(env: HubEnv, workspaceId: string): HubStub | undefined {
  const namespace = env.TENANT_HUB;
  if (!namespace) {
    // Without the binding no socket can have been opened: there is nothing to close or notify.
    if (env.ENVIRONMENT === "production") throw new ApiError("unavailable", "Realtime is not available");
    return undefined;
  }
  return namespace.get(namespace.idFromName(workspaceId));
}

/**
 * Hands an authenticated upgrade to the workspace's hub; the client gets a socket the Worker relays
 * to the hub's (relay.ts says why it is not the hub's socket itself).
 */
export async function connectToHub(ctx: ServiceContext, connection: Connection): Promise<Response> {
  const hub = hubOf(ctx.env, connection.workspaceId);
  if (!hub) throw new ApiError("unavailable", "Realtime is not available here");
  let res: Response;
  try {
    res = await hub.fetch("https://tenant-hub/connect", {
      headers: { Upgrade: "websocket", [CONNECTION_HEADER]: JSON.stringify(connection) },
    });
  } catch (error) {
    ctx.logger.error("tenant hub unreachable", {
      error: error instanceof Error ? error.message : String(error),
    });
    throw new ApiError("unavailable", "Realtime is briefly unavailable; try again", {
      headers: { "Retry-After": "1" },
    });
  }
  // The credential was stopped between the Worker's check and the hub (a crossing revoke).
  if (res.status === 401) throw new ApiError("credential_revoked", "This credential has been revoked");
  if (res.status === 429) {
    throw new ApiError("rate_limited", "Too many open sockets: close some first", {
      headers: { "Retry-After": "60" },
    });
  }
  if (res.status !== 101 || !res.webSocket)
    throw new ApiError("unavailable", "Realtime is briefly unavailable");
  const protocol = res.headers.get("Sec-WebSocket-Protocol");
  return relayToClient(res.webSocket, new Headers(protocol ? { "Sec-WebSocket-Protocol": protocol } : {}));
}

/** A hub call at most this long (it only ever touches its own memory and storage). */
const HUB_CALL_MS = 2_000;

/**
 * Closing is best effort after the fact: the revocation itself is already durable and the
 * Gatekeeper refuses the socket's next message regardless, so a hub that cannot be reached is
 * logged, never a failure of the revoke.
 */
async function onHub(
  ctx: ServiceContext,
  workspaceId: string,
  what: string,
  call: (hub: HubStub) => Promise<unknown>,
): Promise<void> {
  try {
    const hub = hubOf(ctx.env, workspaceId);
    if (hub) await withDeadline("hub", HUB_CALL_MS, () => call(hub));
  } catch (error) {
    ctx.logger.error("tenant hub call failed", {
      what,
      workspaceId,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/** Closes (4401) a credential's sockets in a workspace, now or when its grace period ends. */
export const closeCredentialSockets = (
  ctx: ServiceContext,
  workspaceId: string,
  credentialId: string,
  reason: string,
  at?: number,
) => onHub(ctx, workspaceId, "closeCredential", (hub) => hub.closeCredential(credentialId, reason, at));

/** Closes (4401) every socket that carries a user's authority in a workspace. */
export const closeUserSockets = (ctx: ServiceContext, workspaceId: string, userId: string, reason: string) =>
  onHub(ctx, workspaceId, "closeUser", (hub) => hub.closeUser(userId, reason));

/** Closes (4401) every socket of a workspace. */
export const closeWorkspaceSockets = (ctx: ServiceContext, workspaceId: string, reason: string) =>
  onHub(ctx, workspaceId, "closeAll", (hub) => hub.closeAll(reason));

/** The workspace is deleted: its sockets close and its hub's state is erased. */
export const forgetWorkspaceHub = (ctx: ServiceContext, workspaceId: string, reason: string) =>
  onHub(ctx, workspaceId, "forgetWorkspace", (hub) => hub.forgetWorkspace(reason));

/** A session's sockets may be open in any workspace of its user: each one's hub is told. */
export async function closeSessionSockets(
  ctx: ServiceContext,
  userId: string,
  sessionId: string,
  reason: string,
): Promise<void> {
  const rows = await controlDb(ctx.config)
    .select({ workspaceId: memberships.workspaceId })
    .from(memberships)
    .where(eq(memberships.userId, userId));
  await Promise.all(rows.map((r) => closeCredentialSockets(ctx, r.workspaceId, sessionId, reason)));
}

/**
 * Publishes row events of a committed write (callers publish only after the commit, so a
 * rolled-back write is never announced). Delivery runs after the response: a write never
 * waits on its subscribers, and a hub that is down loses only the notification, not the write.
 */
export function publishRowEvents(ctx: ServiceContext, workspaceId: string, events: RowEvent[]): void {
  if (events.length === 0) return;
  ctx.waitUntil(onHub(ctx, workspaceId, "publish", (hub) => hub.publish(events)));
}
