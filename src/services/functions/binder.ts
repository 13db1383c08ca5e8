// Who bound a function's secrets, and whether they still may (issue: binding is reading). A
// binding made by a member who was since demoted, or by a key since revoked, stops working.
import { eq } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { apiKeys } from "../../db/control/schema";
import { ApiError } from "../../lib/errors";
import { roleAtLeast } from "../../lib/scopes";
import { membershipRole, type WorkspaceAccess } from "../core/access";
import type { ServiceContext } from "../core/context";
import { keyStatus } from "../keys/common";

export type Binder = { type: "user"; id: string } | { type: "apiKey"; id: string };

export function binderOf(ctx: ServiceContext): Binder {
  if (ctx.actor.type === "user") return { type: "user", id: ctx.actor.userId };
  if (ctx.actor.type === "apiKey") return { type: "apiKey", id: ctx.actor.keyId };
  throw new ApiError("forbidden", "Only members and their keys bind secrets");
}

/** Whether the caller could bind secrets (and so may see which ones a function binds). */
export async function mayBindSecrets(ctx: ServiceContext, access: WorkspaceAccess): Promise<boolean> {
  const { actor } = ctx;
  if (actor.type === "apiKey" && !actor.scopes.includes("secrets:write")) return false;
  if (actor.type !== "user" && actor.type !== "apiKey") return false;
  return access.role !== null && roleAtLeast(access.role, "admin");
}

export async function binderStillMay(
  ctx: ServiceContext,
  workspaceId: string,
  binder: Binder,
): Promise<boolean> {
  if (binder.type === "user") {
    const role = await membershipRole(ctx, workspaceId, binder.id);
    return role !== null && roleAtLeast(role, "admin");
  }
  const [key] = await controlDb(ctx.config).select().from(apiKeys).where(eq(apiKeys.id, binder.id));
  if (!key || key.workspaceId !== workspaceId || keyStatus(key) !== "active") return false;
  if (!(JSON.parse(key.scopes) as string[]).includes("secrets:write")) return false;
  const role = await membershipRole(ctx, workspaceId, key.createdBy);
  return role !== null && roleAtLeast(role, "admin");
}
