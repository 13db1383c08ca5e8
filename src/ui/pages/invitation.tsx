// An invitation link, as the invited person opens it: who invites them to which workspace, as what;
// then accept it signed in, or sign in (or create an account, which keeps the invitation) with the
// invited address. The token leaves the address bar at once: it rides an HttpOnly cookie
// (http/cookies INVITATION_COOKIE) through sign-in and sign-up, never a URL or a hidden field.
import { Hono } from "hono";
import { clearInvitationCookie, invitationCookie, setInvitationCookie } from "../../http/cookies";
import type { AppEnv } from "../../http/env";
import { ApiError } from "../../lib/errors";
import { currentSession } from "../../services/auth";
import {
  acceptInvitation,
  acceptInvitationInput,
  describeInvitation,
  type InvitationDescription,
} from "../../services/members";
import { attempt, type PageContext } from "../kit";
import { ActionButton, done, ErrorBox, PostForm, render, when } from "../layout";
import { signedIn } from "../session";

const ROLE_MEANS: Record<InvitationDescription["role"], string> = {
  admin: "manage members, keys, secrets and webhooks, and work with the data",
  member: "work with the data and the functions",
  viewer: "read the data",
};

/** The pending invitation this browser is following, if any (a stale or foreign token is dropped). */
export async function followedInvitation(
  c: PageContext,
): Promise<{ token: string; invitation: InvitationDescription } | undefined> {
  const parsed = acceptInvitationInput.safeParse({ token: invitationCookie(c) });
  if (!parsed.success) return undefined;
  try {
    const invitation = await describeInvitation({ ctx: c.var.ctx, input: parsed.data });
    if (invitation.status === "pending") return { token: parsed.data.token, invitation };
  } catch (error) {
    if (!(error instanceof ApiError) || error.status >= 500) throw error;
  }
  clearInvitationCookie(c);
  return undefined;
}

const inviterOf = (i: InvitationDescription) =>
  i.inviterName && i.inviterEmail
    ? `${i.inviterName} (${i.inviterEmail})`
    : (i.inviterEmail ?? "A former member");

/** One line naming the invitation: shown here and on the sign-up and sign-in forms. */
export const InvitationSummary = ({ invitation }: { invitation: InvitationDescription }) => (
  <div class="notice" role="status">
    {inviterOf(invitation)} invited <strong>{invitation.email}</strong> to join{" "}
    <strong>{invitation.workspaceName}</strong> as <strong>{invitation.role}</strong>: you will be able to{" "}
    {ROLE_MEANS[invitation.role]}.
  </div>
);

async function invitationPage(c: PageContext, error?: unknown) {
  const followed = await followedInvitation(c);
  if (!followed) {
    return render(
      c,
      { title: "Invitation", narrow: true, status: 410 },
      <>
        <h1>This invitation cannot be used</h1>
        <ErrorBox error={error} />
        <p>
          It has expired, was revoked or replaced, or was already accepted. Ask whoever invited you to send a
          new one.
        </p>
      </>,
    );
  }
  const { invitation } = followed;
  const me = signedIn(c) ? (await currentSession({ ctx: c.var.ctx })).user.email : undefined;
  return render(
    c,
    {
      title: `Join ${invitation.workspaceName}`,
      narrow: true,
      status: error instanceof ApiError ? error.status : 200,
    },
    <>
      <h1>Join {invitation.workspaceName} on islet</h1>
      <InvitationSummary invitation={invitation} />
      <p class="muted">The invitation works once and expires {when(invitation.expiresAt)}.</p>
      <ErrorBox error={error} />
      {me === undefined ? (
        invitation.hasAccount ? (
          <p>
            <a
              class="button"
              href="/login?next=%2Finvitations%2Faccept"
            >{`Sign in as ${invitation.email}`}</a>
          </p>
        ) : (
          <p>
            <a class="button" href="/signup">
              Create an account
            </a>{" "}
            <span class="muted">
              or <a href="/login?next=%2Finvitations%2Faccept">sign in</a> if you already have one.
            </span>
          </p>
        )
      ) : me.toLowerCase() === invitation.email.toLowerCase() ? (
        <PostForm c={c} action="/invitations/accept">
          <button type="submit">{`Join ${invitation.workspaceName} as ${invitation.role}`}</button>
        </PostForm>
      ) : (
        <>
          <p>
            You are signed in as <strong>{me}</strong>, but this invitation is for{" "}
            <strong>{invitation.email}</strong>. Sign out, then sign in with the invited address.
          </p>
          <ActionButton c={c} action="/logout" label="Sign out" />
        </>
      )}
    </>,
  );
}

export const invitationPages = new Hono<AppEnv>()
  .get("/invitations/accept", async (c) => {
    const token = c.req.query("token");
    if (token === undefined) return invitationPage(c);
    // The emailed link: keep its token in the cookie and take it out of the address bar.
    const parsed = acceptInvitationInput.safeParse({ token });
    if (parsed.success) {
      const invitation = await describeInvitation({ ctx: c.var.ctx, input: parsed.data }).catch((error) => {
        if (error instanceof ApiError && error.status < 500) return undefined;
        throw error;
      });
      if (invitation?.status === "pending") setInvitationCookie(c, parsed.data.token, invitation.expiresAt);
      else clearInvitationCookie(c);
    } else {
      clearInvitationCookie(c);
    }
    return c.redirect("/invitations/accept", 303);
  })
  // A browser can be sent an invitation link by anyone (a link on another site sets the cookie
  // too): whoever sees an address that is not theirs drops it and signs up on their own.
  .post("/invitations/forget", (c) => {
    clearInvitationCookie(c);
    return c.redirect("/signup", 303);
  })
  .post("/invitations/accept", (c) =>
    attempt(
      async () => {
        const token = invitationCookie(c) ?? "";
        const { workspaceId } = await acceptInvitation({ ctx: c.var.ctx, input: { token } });
        clearInvitationCookie(c);
        return done(c, `/app/w/${workspaceId}`, "joined");
      },
      (error) => invitationPage(c, error),
    ),
  );
