// An invitation link, as the invited person opens it: accept it signed in, or sign in (or up)
// with the invited address first.
import { Hono } from "hono";
import type { AppEnv } from "../../http/env";
import { acceptInvitation } from "../../services/members";
import { attempt, type PageContext, typed } from "../kit";
import { done, ErrorBox, PostForm, render } from "../layout";
import { formOf, signedIn } from "../session";

function invitationPage(c: PageContext, error?: unknown) {
  const token = c.req.query("token") ?? typed(c, "token") ?? "";
  const here = `/invitations/accept?token=${encodeURIComponent(token)}`;
  return render(
    c,
    { title: "Invitation", narrow: true, status: error ? 400 : 200 },
    <>
      <h1>You are invited to a workspace</h1>
      <ErrorBox error={error} />
      {signedIn(c) ? (
        <PostForm c={c} action="/invitations/accept">
          <input type="hidden" name="token" value={token} />
          <button type="submit">Accept the invitation</button>
        </PostForm>
      ) : (
        <p>
          <a href={`/login?next=${encodeURIComponent(here)}`}>Sign in</a> or{" "}
          <a href="/signup">create an account</a> with the invited address, then open the link again.
        </p>
      )}
    </>,
  );
}

export const invitationPages = new Hono<AppEnv>()
  .get("/invitations/accept", (c) => invitationPage(c))
  .post("/invitations/accept", (c) =>
    attempt(
      async () => {
        const { workspaceId } = await acceptInvitation({
          ctx: c.var.ctx,
          input: { token: formOf(c).text("token") },
        });
        return done(c, `/app/w/${workspaceId}`, "joined");
      },
      (error) => invitationPage(c, error),
    ),
  );
