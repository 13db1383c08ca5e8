import { and, eq } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { memberships, workspaces } from "../../db/control/schema";
import { ApiError } from "../../lib/errors";
import { ID_FORMATS } from "../../lib/ids";
import type { ServiceArgs } from "../core/context";

/**
 * The workspace a `/v1/workspaces/:workspaceId/…` request addresses, loaded once (the gatekeeper
 * needs its plan, services its database locator), and whether the signed-in caller is a member:
 * only members' requests count against the workspace's plan and aggregate limit. It does not
 * authorize — services do, and a workspace the actor cannot see answers 404 there.
 */
export async function loadAddressedWorkspace({ ctx, input }: ServiceArgs<{ workspaceId: string }>) {
  if (!ID_FORMATS.workspace.test(input.workspaceId)) throw new ApiError("not_found", "Workspace not found");
  const userId = ctx.actor.type === "user" ? ctx.actor.userId : "";
  const [found] = await controlDb(ctx.config)
    .select({ workspace: workspaces, role: memberships.role })
    .from(workspaces)
    .leftJoin(memberships, and(eq(memberships.workspaceId, workspaces.id), eq(memberships.userId, userId)))
    .where(eq(workspaces.id, input.workspaceId));
  if (!found) throw new ApiError("not_found", "Workspace not found");
  return { workspace: found.workspace, member: found.role !== null };
}
