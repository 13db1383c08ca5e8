import { and, eq, gt, isNull, lt } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { sessions, socketTickets, type WorkspaceRow } from "../../db/control/schema";
import { randomBytes, sha256Hex } from "../../lib/crypto";
import { bytesToBase64Url } from "../../lib/encoding";
import { ApiError } from "../../lib/errors";
import { ACCESS_TOKEN_TTL_SECONDS } from "../../lib/jwt";
import { authorizeMember, authorizeWorkspace } from "../core/access";
import type { Actor } from "../core/actor";
import { parseInput, type ServiceArgs, type ServiceContext } from "../core/context";
import { admissionFor } from "../gatekeeper/admission";
import { connectToHub } from "../hub";
import type { Connection } from "../hub/protocol";
import { keyActor, type VerifiedKey, verifyKeyById } from "../keys/credential";
import {
  redeemTicketInput,
  type SocketKind,
  type SocketTicket,
  socketTicketInput,
  TICKET_TTL_MS,
} from "./schemas";

export * from "./schemas";

type SocketActor = Extract<Actor, { type: "apiKey" } | { type: "user" }>;

function socketActor(ctx: ServiceContext): SocketActor {
  const actor = ctx.actor;
  if (actor.type === "anonymous") throw new ApiError("unauthorized", "Authentication required");
  if (actor.type !== "apiKey" && actor.type !== "user") {
    throw new ApiError("forbidden", "Sockets are for API keys and workspace members");
  }
  return actor;
}

/**
 * Who may hold a socket in a workspace: realtime reads rows, so it needs what reading a table
 * needs; MCP lists whatever the credential may do, so belonging to the workspace is enough.
 */
export const authorizeSocket = (ctx: ServiceContext, workspaceId: string, kind: SocketKind) =>
  kind === "mcp"
    ? authorizeMember(ctx, workspaceId)
    : authorizeWorkspace(ctx, workspaceId, { role: "viewer", scope: "data:read" });

/**
 * A single-use ticket for a browser's socket (architecture §13): 30 s, stored only as a hash, bound to
 * the credential that asked for it and to one workspace. A long-lived token never goes in a URL.
 */
export async function createSocketTicket({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string }>): Promise<SocketTicket> {
  const input = parseInput(socketTicketInput, raw);
  const actor = socketActor(ctx);
  const access = await authorizeSocket(ctx, input.workspaceId, "mcp");
  const ticket = `ist_${bytesToBase64Url(randomBytes(32))}`;
  const now = Date.now();
  const expiresAt = now + TICKET_TTL_MS;
  const db = controlDb(ctx.config);
  await db.insert(socketTickets).values({
    hash: await sha256Hex(ticket),
    workspaceId: access.workspace.id,
    ...(actor.type === "apiKey"
      ? { credentialType: "key", credentialId: actor.keyId, userId: actor.createdBy }
      : {
          credentialType: "session",
          credentialId: actor.sessionId,
          userId: actor.userId,
          credentialIssuedAt: actor.issuedAt,
        }),
    createdAt: now,
    expiresAt,
  });
  // Spent and expired tickets are of no further use; keep the table small.
  ctx.waitUntil(
    db
      .delete(socketTickets)
      .where(lt(socketTickets.expiresAt, now - 3_600_000))
      .catch(() => {}),
  );
  return { ticket, expiresAt };
}

export interface RedeemedTicket {
  actor: SocketActor;
  key?: VerifiedKey;
  workspaceId: string;
}

/**
 * Spends a ticket (one conditional update: two upgrades racing with the same ticket cannot both
 * win) and checks its credential against the database again, as if it were presented now.
 */
export async function redeemSocketTicket({
  ctx,
  input: raw,
}: ServiceArgs<{ ticket: string }>): Promise<RedeemedTicket> {
  const invalid = () => new ApiError("invalid_token", "The ticket is invalid, expired or already used");
  const parsed = redeemTicketInput.safeParse(raw);
  if (!parsed.success) throw invalid();
  const now = Date.now();
  const [row] = await controlDb(ctx.config)
    .update(socketTickets)
    .set({ usedAt: now })
    .where(
      and(
        eq(socketTickets.hash, await sha256Hex(parsed.data.ticket)),
        isNull(socketTickets.usedAt),
        gt(socketTickets.expiresAt, now),
      ),
    )
    .returning();
  if (!row) throw invalid();
  if (row.credentialType === "key") {
    const key = await verifyKeyById(ctx.config, row.credentialId, now);
    return { actor: keyActor(key), key, workspaceId: row.workspaceId };
  }
  await liveSessionExpiry(ctx, row.credentialId);
  return {
    actor: {
      type: "user",
      userId: row.userId,
      sessionId: row.credentialId,
      issuedAt: row.credentialIssuedAt ?? row.createdAt,
    },
    workspaceId: row.workspaceId,
  };
}

/** A session's end, read from the database: a revoked or ended session is refused here. */
async function liveSessionExpiry(ctx: ServiceContext, sessionId: string): Promise<number> {
  const [session] = await controlDb(ctx.config)
    .select({ expiresAt: sessions.expiresAt, revokedAt: sessions.revokedAt })
    .from(sessions)
    .where(eq(sessions.id, sessionId));
  if (!session || session.revokedAt !== null || session.expiresAt <= Date.now()) {
    throw new ApiError("credential_revoked", "This session has ended");
  }
  return session.expiresAt;
}

/**
 * Opens a socket for the request's credential (already verified by authentication and admitted
 * by the Gatekeeper): authorizes it for the workspace, checks the credential against the
 * database, and hands the upgrade to the workspace's TenantHub. Failures answer before any
 * upgrade.
 */
export async function openSocket({
  ctx,
  input,
}: ServiceArgs<{
  kind: SocketKind;
  workspace: WorkspaceRow;
  member: boolean;
  key?: VerifiedKey;
  subprotocol: boolean;
}>): Promise<Response> {
  const actor = socketActor(ctx);
  await authorizeSocket(ctx, input.workspace.id, input.kind);
  let connection: Connection;
  const common = {
    kind: input.kind,
    workspaceId: input.workspace.id,
    actor,
    admission: admissionFor({
      actor,
      ...(input.key ? { key: input.key } : {}),
      workspace: input.workspace,
      member: input.member,
      ip: ctx.ip,
    }),
    ip: ctx.ip,
    userAgent: ctx.userAgent,
    subprotocol: input.subprotocol,
  };
  if (actor.type === "apiKey") {
    if (!input.key) throw new ApiError("unauthorized", "Authentication required");
    connection = {
      ...common,
      credentialId: actor.keyId,
      userId: actor.createdBy,
      expiresAt: input.key.expiresAt,
    };
  } else {
    // A person's socket lasts as long as the access token it was opened with (a ticket carries
    // that token's issue time): a stale token closes its socket (seed 003), and the page
    // reconnects with a fresh one.
    const tokenExpiry = actor.issuedAt + ACCESS_TOKEN_TTL_SECONDS * 1000;
    const expiresAt = Math.min(await liveSessionExpiry(ctx, actor.sessionId), tokenExpiry);
    if (expiresAt <= Date.now()) throw new ApiError("token_expired", "The access token has expired");
    connection = { ...common, credentialId: actor.sessionId, userId: actor.userId, expiresAt };
  }
  return connectToHub(ctx, connection);
}
