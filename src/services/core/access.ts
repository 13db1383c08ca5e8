import type { Client } from "@libsql/client/web";
import { and, eq } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { memberships, type WorkspaceRow, workspaces } from "../../db/control/schema";
import { tenantDb } from "../../db/tenant/client";
import { ApiError } from "../../lib/errors";
import { roleAtLeast, SCOPES, type Scope } from "../../lib/scopes";
import type { Role } from "../../lib/tenancy";
import type { ServiceContext } from "./context";

/** What an end user of a workspace's app (an `endUser` actor) may ever do: use data and run functions. */
export const END_USER_SCOPES: readonly Scope[] = ["data:read", "data:write", "functions:run"];

interface NeedBase {
  /** Least role a user must hold (owner > admin > member > viewer). */
  role: Role;
  /** Table the operation touches, checked against a key's table allowlist. */
  table?: string;
  /**
   * Operations a workspace's end users never reach whatever their role, though their scopes
   * would pass (API accounts: an app's users do not drive the workspace's upstream credentials).
   */
  endUsers?: false;
}

/**
 * What an operation needs (architecture §3): a role for people, and for API keys a scope — or, for
 * operations no key may perform whatever its scopes (members, issuers, plan, ownership), no scope
 * at all: `usersOnly`.
 */
export type WorkspaceNeed = NeedBase &
  (
    | { usersOnly: true; scope?: undefined }
    | {
        usersOnly?: false;
        /** Scope an API key must carry for the same operation. */
        scope: Scope;
      }
  );

/** The kinds of principal that may ever meet a need (its scope and role then decide for each). */
export type Principal = "user" | "apiKey" | "endUser";

/**
 * Who may call an operation with this need, read from the need itself (architecture §3, STYLE "say a rule
 * once, as data"): people always; API keys unless it is for people only; a workspace's end users
 * only where their scopes and their member-at-most role could ever pass and the need does not
 * shut them out. The OpenAPI document, the MCP tool list and the dashboard read this, never a copy.
 */
export function principalsOf(need: WorkspaceNeed): Principal[] {
  if (need.usersOnly) return ["user"];
  const endUsers =
    need.endUsers !== false && END_USER_SCOPES.includes(need.scope) && roleAtLeast("member", need.role);
  return endUsers ? ["user", "apiKey", "endUser"] : ["user", "apiKey"];
}

/** Whether a member holding `role` meets the need's role (the dashboard shows what they may do). */
export const roleMeets = (role: Role | null | undefined, need: WorkspaceNeed): boolean =>
  role !== null && role !== undefined && roleAtLeast(role, need.role);

export interface WorkspaceAccess {
  workspace: WorkspaceRow;
  /** The user's role, or for a key the role of the member who created it (its ceiling). */
  role: Role | null;
  /** Opens this workspace's own database (and only it). */
  db: () => Promise<Client>;
}

async function loadWorkspaceRow(ctx: ServiceContext, workspaceId: string): Promise<WorkspaceRow> {
  if (ctx.workspace?.id === workspaceId) return ctx.workspace;
  const [row] = await controlDb(ctx.config).select().from(workspaces).where(eq(workspaces.id, workspaceId));
  if (!row) throw new ApiError("not_found", "Workspace not found");
  return row;
}

export async function membershipRole(
  ctx: ServiceContext,
  workspaceId: string,
  userId: string,
): Promise<Role | null> {
  const [row] = await controlDb(ctx.config)
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)));
  return row?.role ?? null;
}

/**
 * The one authorization check for workspace-scoped operations (architecture §3). Users need a
 * membership with at least `need.role` (non-members get 404: a workspace's existence is not
 * revealed); API keys must belong to this workspace, carry `need.scope`, and allow the table.
 */
export async function authorizeWorkspace(
  ctx: ServiceContext,
  workspaceId: string,
  need: WorkspaceNeed,
): Promise<WorkspaceAccess> {
  const actor = ctx.actor;
  let role: Role | null = null;
  if (actor.type === "anonymous") throw new ApiError("unauthorized", "Authentication required");
  if (actor.type === "user") {
    const workspace = await loadWorkspaceRow(ctx, workspaceId);
    role = await membershipRole(ctx, workspace.id, actor.userId);
    if (!role) throw new ApiError("not_found", "Workspace not found");
    if (!roleAtLeast(role, need.role)) {
      throw new ApiError("forbidden", `This needs the ${need.role} role or higher`, {
        details: { required: need.role, role },
      });
    }
    return access(ctx, workspace, role);
  }
  if (actor.type === "apiKey") {
    if (actor.workspaceId !== workspaceId) {
      throw new ApiError("forbidden", "This API key is confined to another workspace");
    }
    if (need.usersOnly) throw new ApiError("forbidden", "API keys cannot perform this operation");
    if (!actor.scopes.includes(need.scope)) {
      throw new ApiError("insufficient_scope", `This API key lacks the ${need.scope} scope`, {
        details: { required: need.scope },
      });
    }
    assertTableAllowed(need, actor.tables, "API key");
    const workspace = await loadWorkspaceRow(ctx, workspaceId);
    // A key never exceeds its creator: if the creator lost the role, so does the key.
    role = await membershipRole(ctx, workspace.id, actor.createdBy);
    if (!role || !roleAtLeast(role, need.role)) {
      throw new ApiError("forbidden", "The member who created this key no longer holds the needed role");
    }
    return access(ctx, workspace, role);
  }
  if (actor.type === "endUser") {
    // A workspace's app user: only its own workspace, never above its (member|viewer) role,
    // never a management operation, and only the data-level scopes an app user needs.
    if (actor.workspaceId !== workspaceId) {
      throw new ApiError("forbidden", "This token is confined to another workspace");
    }
    if (
      need.usersOnly ||
      need.endUsers === false ||
      !END_USER_SCOPES.includes(need.scope) ||
      !roleAtLeast(actor.role, need.role)
    ) {
      throw new ApiError("forbidden", "End-user tokens cannot perform this operation");
    }
    if (!roleAtLeast(actor.role, SCOPES[need.scope])) {
      throw new ApiError("insufficient_scope", `This token's ${actor.role} role lacks ${need.scope}`, {
        details: { required: need.scope },
      });
    }
    assertTableAllowed(need, actor.tables, "token");
    return access(ctx, await loadWorkspaceRow(ctx, workspaceId), actor.role);
  }
  if (actor.type === "operator" || actor.type === "system") {
    return access(ctx, await loadWorkspaceRow(ctx, workspaceId), null);
  }
  throw new ApiError("forbidden", "Forbidden");
}

/**
 * An agent's or a socket's hold on a workspace (MCP, realtime): a member of any role, or a key
 * of this workspace whose creator still is one. What it may then do is each verb's check.
 */
export function authorizeMember(ctx: ServiceContext, workspaceId: string): Promise<WorkspaceAccess> {
  const actor = ctx.actor;
  // Any scope the key holds passes; the role (viewer, the least) and the workspace are the test.
  const scope =
    actor.type === "apiKey" ? ((actor.scopes[0] as Scope | undefined) ?? "data:read") : "data:read";
  return authorizeWorkspace(ctx, workspaceId, { role: "viewer", scope });
}

function assertTableAllowed(need: WorkspaceNeed, tables: readonly string[] | null, what: string): void {
  if (need.table !== undefined && tables !== null && !tables.includes(need.table)) {
    throw new ApiError("forbidden", `This ${what} may not access table ${need.table}`, {
      details: { table: need.table },
    });
  }
}

function access(ctx: ServiceContext, workspace: WorkspaceRow, role: Role | null): WorkspaceAccess {
  if (workspace.status !== "active") throw new ApiError("unavailable", "The workspace is not available");
  return workspaceAccess(ctx, workspace, role);
}

/**
 * A workspace's access without an authorization check, for work islet itself decides on (revoking
 * what an account made, system jobs). Opens the tenant database once, on first use.
 */
export function workspaceAccess(
  ctx: ServiceContext,
  workspace: WorkspaceRow,
  role: Role | null,
): WorkspaceAccess {
  let opened: Promise<Client> | undefined;
  return { workspace, role, db: () => (opened ??= tenantDb(ctx.config, workspace)) };
}

/** Services that must not run for anonymous callers. */
export function requireUser(ctx: ServiceContext): { userId: string; sessionId: string } {
  if (ctx.actor.type === "user") return { userId: ctx.actor.userId, sessionId: ctx.actor.sessionId };
  if (ctx.actor.type === "anonymous") throw new ApiError("unauthorized", "Authentication required");
  throw new ApiError("forbidden", "This operation needs a signed-in user");
}

/** Services reachable only through operator authentication (src/middleware/operator.ts). */
export function requireOperator(ctx: ServiceContext): string {
  if (ctx.actor.type === "operator") return ctx.actor.operatorId;
  if (ctx.actor.type === "anonymous") throw new ApiError("unauthorized", "Operator authentication required");
  throw new ApiError("forbidden", "Only islet operators may do this");
}
