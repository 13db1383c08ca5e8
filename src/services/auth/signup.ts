import { eq } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { type InvitableRole, users, type WorkspaceRow, workspaces } from "../../db/control/schema";
import { sqliteConstraint } from "../../db/errors";
import { tenantDb } from "../../db/tenant/client";
import { ApiError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import type { Region } from "../../lib/tenancy";
import { recordAudit } from "../audit";
import { parseInput, type ServiceArgs, type ServiceContext } from "../core/context";
import { acceptInvitation, invitationForSignup } from "../members";
import { slugFromName } from "../workspaces/create";
import { destroyWorkspace } from "../workspaces/destroy";
import { provisionWorkspace } from "../workspaces/provision";
import { hashPassword } from "./argon2-wasm";
import { issueEmailToken } from "./email-tokens";
import { sendAuthMail } from "./emails";
import { limitIp } from "./limits";
import { acceptNewPassword } from "./policy";
import { type SignupInput, signupInput } from "./schemas";
import { securityEvent } from "./security-log";
import { type IssuedSession, startSession } from "./sessions";
import { canonicalEmail, deleteUnfinishedUser, type UserRow, type UserView, userView } from "./users";

export interface WorkspaceSummary {
  id: string;
  slug: string;
  name: string;
  region: Region;
}

export interface SignedUp {
  user: UserView;
  /**
   * The personal workspace, or the workspace an invitation made the account a member of; null while
   * an invitation waits for the address to be verified.
   */
  workspace: WorkspaceSummary | null;
  session: IssuedSession;
  /** Set when the account joined by invitation (and has no personal workspace). */
  joined?: { workspaceId: string; role: InvitableRole };
}

/**
 * Creates an account (architecture §3, §10): checks the password, stores its Argon2id hash, provisions
 * the personal workspace and its own database in the chosen region (owner membership), sends
 * the verification email and signs the user in. If the workspace cannot be provisioned or
 * audited, the account is removed again: a failed signup leaves nothing behind.
 *
 * With an invitation token the account joins the inviting workspace instead: no personal
 * workspace nobody asked for, and, when the token was mailed to this address, no verification
 * email either (the token already proved the mailbox).
 */
export async function signup({ ctx, input: raw }: ServiceArgs<SignupInput>): Promise<SignedUp> {
  const input = parseInput(signupInput, raw);
  await limitIp(ctx, "signup");
  const email = canonicalEmail(input.email);
  if (input.invitationToken === undefined && input.region === undefined) {
    throw new ApiError("invalid_request", "region: choose where your workspace's database lives", {
      details: { field: "region" },
    });
  }
  // Every rule of accepting is checked before the account exists, so a refused invitation leaves
  // no account behind.
  const invitation = input.invitationToken
    ? await invitationForSignup(ctx, input.invitationToken, email)
    : undefined;
  const password = await acceptNewPassword(ctx, input.password, email);
  const now = Date.now();
  const user: UserRow = {
    id: newId("usr"),
    email,
    name: input.name?.trim() || null,
    passwordHash: await hashPassword(password),
    passwordChangedAt: now,
    emailVerifiedAt: invitation?.provesMailbox ? now : null,
    createdAt: now,
    deletedAt: null,
  };
  try {
    await controlDb(ctx.config).insert(users).values(user);
  } catch (error) {
    if (sqliteConstraint(error)?.kind === "unique") {
      throw new ApiError("conflict", "An account with this email already exists", {
        details: { field: "email" },
      });
    }
    throw error;
  }
  if (input.invitationToken && invitation) {
    return joinByInvitation(ctx, user, input.invitationToken, invitation.provesMailbox);
  }
  const workspace = await createPersonalWorkspace(ctx, user, input.region ?? "us-east", "password");
  const session = await startSession(ctx, user.id);
  await sendVerification(ctx, user);
  return { user: userView(user), workspace, session };
}

/**
 * The rest of a sign-up by invitation: accept it as the new account. An address the token did not
 * prove (a link the inviter was shown because the mail failed, outside production) is verified by
 * email first, and the invitation waits for it. If accepting fails, the account goes again.
 */
async function joinByInvitation(
  ctx: ServiceContext,
  user: UserRow,
  token: string,
  provesMailbox: boolean,
): Promise<SignedUp> {
  const session = await startSession(ctx, user.id);
  const asUser: ServiceContext = {
    ...ctx,
    actor: { type: "user", userId: user.id, sessionId: session.sessionId, issuedAt: Date.now() },
  };
  let joined: SignedUp["joined"];
  try {
    if (provesMailbox) joined = await acceptInvitation({ ctx: asUser, input: { token } });
  } catch (error) {
    await deleteUnfinishedUser(ctx, user.id);
    throw error;
  }
  await securityEvent(ctx, "account.signup", {
    subjectUserId: user.id,
    details: { method: "invitation", workspaceId: joined?.workspaceId ?? null, emailVerified: provesMailbox },
  });
  if (!provesMailbox) await sendVerification(ctx, user);
  const [workspace] = joined
    ? await controlDb(ctx.config).select().from(workspaces).where(eq(workspaces.id, joined.workspaceId))
    : [];
  return {
    user: userView(user),
    workspace: workspace
      ? { id: workspace.id, slug: workspace.slug, name: workspace.name, region: workspace.region }
      : null,
    session,
    ...(joined ? { joined } : {}),
  };
}

/**
 * The personal workspace of a new account, audited in its own log; on any failure the account
 * row goes too (compensation), and the caller sees 503 or the provisioning error.
 */
export async function createPersonalWorkspace(
  ctx: ServiceContext,
  user: UserRow,
  region: Region,
  method: string,
): Promise<WorkspaceSummary> {
  const label = user.name ?? user.email.split("@")[0] ?? "personal";
  const name = `${label}'s workspace`.slice(0, 100);
  let workspace: WorkspaceRow | undefined;
  try {
    workspace = await provisionWorkspace({
      ctx,
      input: { name, slug: slugFromName(label), region, ownerUserId: user.id },
    });
    const actorCtx: ServiceContext = {
      ...ctx,
      actor: { type: "user", userId: user.id, sessionId: "signup", issuedAt: Date.now() },
    };
    await recordAudit(actorCtx, await tenantDb(ctx.config, workspace), {
      action: "account.signup",
      targetType: "user",
      targetId: user.id,
      details: { method, workspaceId: workspace.id, slug: workspace.slug, region },
    });
  } catch (error) {
    ctx.logger.error("signup could not create the personal workspace; removing the account", {
      userId: user.id,
      error: error instanceof Error ? error.message : String(error),
    });
    if (workspace) await destroyWorkspace(ctx, workspace).catch(() => undefined);
    await deleteUnfinishedUser(ctx, user.id);
    await securityEvent(ctx, "account.signup_failed", { details: { region, method } });
    if (error instanceof ApiError && error.code !== "conflict") throw error;
    throw new ApiError("unavailable", "Your workspace could not be created; no account was kept. Try again.");
  }
  await securityEvent(ctx, "account.signup", {
    subjectUserId: user.id,
    details: { method, workspaceId: workspace.id, region },
  });
  return { id: workspace.id, slug: workspace.slug, name: workspace.name, region: workspace.region };
}

export async function sendVerification(
  ctx: ServiceContext,
  user: { id: string; email: string },
): Promise<boolean> {
  const token = await issueEmailToken(ctx, user, "verify_email");
  return sendAuthMail(ctx, user.email, "verify_email", token);
}
