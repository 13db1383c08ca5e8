import { z } from "zod";
import { PLAN_IDS, type PlanId } from "../../lib/plans";
import { REGIONS, ROLES } from "../../lib/tenancy";
import type { WorkspaceNeed } from "../core/access";
import { confirmation, epochMs, idempotencyKey, idOf, workspaceScoped } from "../core/schemas";

/**
 * Reading a workspace (any member, its keys and end users); renaming it (admins in person);
 * transferring or deleting it (its owners in person) (architecture §3).
 */
export const WORKSPACES_NEEDS = {
  read: { role: "viewer", scope: "data:read" },
  rename: { role: "admin", usersOnly: true },
  own: { role: "owner", usersOnly: true },
} as const satisfies Record<string, WorkspaceNeed>;

export { workspaceScoped } from "../core/schemas";
export { idempotencyKey };

export const SLUG = /^[a-z0-9](?:[a-z0-9-]{1,46}[a-z0-9])$/;
const name = z.string().trim().min(1).max(100);

export const createWorkspaceBody = z.strictObject({
  name,
  region: z.enum(REGIONS),
  slug: z.string().regex(SLUG).optional(),
});
export const createWorkspaceInput = createWorkspaceBody.extend({ idempotencyKey: idempotencyKey.optional() });
export type CreateWorkspaceInput = z.input<typeof createWorkspaceInput>;
export const renameWorkspaceBody = z.strictObject({ name });
export const renameWorkspaceInput = workspaceScoped.extend(renameWorkspaceBody.shape);
export const transferWorkspaceBody = z.strictObject({ userId: idOf("user", "a user id") });
export const transferWorkspaceInput = workspaceScoped.extend(transferWorkspaceBody.shape);
export const deleteWorkspaceBody = z.strictObject({ confirm: confirmation });
export const deleteWorkspaceInput = workspaceScoped.extend(deleteWorkspaceBody.shape);

export const Workspace = z.object({
  id: z.string(),
  slug: z.string(),
  name: z.string(),
  region: z.enum(REGIONS),
  plan: z.enum(PLAN_IDS as [PlanId, ...PlanId[]]),
  /** The caller's role; null for operators and credentials without one. */
  role: z.enum(ROLES).nullable(),
  createdAt: epochMs,
  updatedAt: epochMs,
});
