import { and, asc, eq } from "drizzle-orm";
import type { z } from "zod";
import { controlDb } from "../../db/control/client";
import { memberships, type WorkspaceRow, workspaces } from "../../db/control/schema";
import { sha256Hex } from "../../lib/crypto";
import { ApiError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import type { Role } from "../../lib/tenancy";
import { recordAudit } from "../audit";
import { authorizeWorkspace, requireUser } from "../core/access";
import { parseInput, type ServiceArgs } from "../core/context";
import { requireVerifiedEmail } from "../verified";
import { destroyWorkspace } from "./destroy";
import { provisionWorkspace } from "./provision";
import type { Workspace } from "./schemas";
import {
  type CreateWorkspaceInput,
  createWorkspaceInput,
  WORKSPACES_NEEDS,
  workspaceScoped,
} from "./schemas";

/** What a caller sees of a workspace: never its database locator or token. */
export type WorkspaceView = z.infer<typeof Workspace>;

export const workspaceView = (row: WorkspaceRow, role: Role | null): WorkspaceView => ({
  id: row.id,
  slug: row.slug,
  name: row.name,
  region: row.region,
  plan: row.plan,
  role,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

/** Slugs are URL- and DNS-safe: lowercase letters, digits and inner hyphens. */

/** A slug from the name plus a random suffix, so two "Acme" workspaces never collide. */
export function slugFromName(name: string): string {
  const base = name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 30)
    .replace(/-+$/, "");
  const suffix = newId("s").slice(-6);
  return base.length > 0 ? `${base}-${suffix}` : `ws-${suffix}`;
}

/**
 * Creates a workspace owned by the signed-in user and provisions its database in the chosen
 * region. Only users create workspaces: an API key is confined to the workspace it belongs to.
 */
export async function createWorkspace({
  ctx,
  input: raw,
}: ServiceArgs<CreateWorkspaceInput>): Promise<{ workspace: WorkspaceView; created: boolean }> {
  const input = parseInput(createWorkspaceInput, raw);
  const { userId } = requireUser(ctx);
  await requireVerifiedEmail(ctx, userId);
  const slug = input.slug ?? slugFromName(input.name);
  // Scoped to the user and hashed: one user's key can never replay another user's workspace.
  const requestKey = input.idempotencyKey
    ? `idem:${await sha256Hex(`${userId}\n${input.idempotencyKey}`)}`
    : undefined;
  const startedAt = Date.now();
  const row = await provisionWorkspace({
    ctx,
    input: { name: input.name, slug, region: input.region, ownerUserId: userId, requestKey },
  });
  const created = row.createdAt >= startedAt;
  if (!created) {
    // A replay: the same key must mean the same request (as Stripe's Idempotency-Key does).
    if (row.name !== input.name || row.region !== input.region || (input.slug && row.slug !== input.slug)) {
      throw new ApiError(
        "idempotency_mismatch",
        "This Idempotency-Key was already used for a different request; use a new key for a new request",
      );
    }
    return { workspace: workspaceView(row, "owner"), created };
  }
  try {
    const access = await authorizeWorkspace(ctx, row.id, {
      role: "owner",
      usersOnly: true,
    });
    await recordAudit(ctx, await access.db(), {
      action: "workspace.create",
      targetType: "workspace",
      targetId: row.id,
      details: { name: row.name, slug: row.slug, region: row.region },
    });
  } catch (error) {
    ctx.logger.error("workspace.create could not be audited; removing the workspace", {
      workspaceId: row.id,
      error: error instanceof Error ? error.message : String(error),
    });
    await destroyWorkspace(ctx, row).catch(() => undefined);
    throw new ApiError("unavailable", "The workspace could not be created; nothing was kept");
  }
  return { workspace: workspaceView(row, "owner"), created };
}

/** The workspaces the signed-in user belongs to, with their role in each. */
export async function listWorkspaces({ ctx }: ServiceArgs): Promise<WorkspaceView[]> {
  if (ctx.actor.type === "apiKey" || ctx.actor.type === "endUser") {
    // A confined credential sees exactly its own workspace.
    const access = await authorizeWorkspace(ctx, ctx.actor.workspaceId, WORKSPACES_NEEDS.read);
    return [workspaceView(access.workspace, null)];
  }
  const { userId } = requireUser(ctx);
  const rows = await controlDb(ctx.config)
    .select({ workspace: workspaces, role: memberships.role })
    .from(memberships)
    .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
    .where(and(eq(memberships.userId, userId), eq(workspaces.status, "active")))
    .orderBy(asc(workspaces.createdAt));
  return rows.map((r) => workspaceView(r.workspace, r.role));
}

export async function getWorkspace({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string }>): Promise<WorkspaceView> {
  const input = parseInput(workspaceScoped, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, WORKSPACES_NEEDS.read);
  return workspaceView(access.workspace, ctx.actor.type === "user" ? access.role : null);
}
