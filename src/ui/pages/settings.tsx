// A workspace's settings: rename, transfer ownership (owners), leave (everyone else), and delete
// with the typed slug.
import { Hono } from "hono";
import type { AppEnv } from "../../http/env";
import { roleMeets } from "../../services/core/access";
import { leaveWorkspace, listMembers } from "../../services/members";
import {
  deleteWorkspace,
  renameWorkspace,
  transferWorkspace,
  WORKSPACES_NEEDS,
} from "../../services/workspaces";
import { attempt, currentWorkspace, Field, navOf, type PageContext, wsPath } from "../kit";
import { ActionButton, done, ErrorBox, PostForm, render, when } from "../layout";
import { formOf } from "../session";

async function settingsPage(c: PageContext, error?: unknown) {
  const workspace = await currentWorkspace(c);
  const members = await listMembers({ ctx: c.var.ctx, input: { workspaceId: workspace.id } });
  const owner = roleMeets(workspace.role, WORKSPACES_NEEDS.own);
  return render(
    c,
    { title: "Settings", workspace: navOf(workspace), section: "settings", status: error ? 400 : 200 },
    <>
      <h1>Settings</h1>
      <ErrorBox error={error} />
      <p class="muted">
        {workspace.slug} · {workspace.region} · plan {workspace.plan} · created {when(workspace.createdAt)}
      </p>
      <h2>Rename</h2>
      <PostForm c={c} action={wsPath(c, "/settings/rename")}>
        <Field label="Name" name="name" value={workspace.name} required />
        <button type="submit">Rename</button>
      </PostForm>
      {owner ? (
        <>
          <h2>Transfer ownership</h2>
          <PostForm c={c} action={wsPath(c, "/settings/transfer")}>
            <label>
              New owner
              <select name="userId">
                {members
                  .filter((m) => m.role !== "owner")
                  .map((m) => (
                    <option value={m.userId}>{`${m.email} (${m.role})`}</option>
                  ))}
              </select>
            </label>
            <button type="submit" class="secondary">
              Transfer
            </button>
          </PostForm>
          <h2>Delete this workspace</h2>
          <p>Its database and everything in it are destroyed. Type the slug to confirm.</p>
          <PostForm c={c} action={wsPath(c, "/settings/delete")}>
            <Field
              label={`Type ${workspace.slug}`}
              name="confirm"
              required
              extra={{ "data-must-equal": workspace.slug }}
            />
            <button type="submit" class="danger">
              Delete workspace
            </button>
          </PostForm>
        </>
      ) : (
        <>
          <h2>Leave</h2>
          <ActionButton c={c} action={wsPath(c, "/settings/leave")} label="Leave this workspace" danger />
        </>
      )}
    </>,
  );
}

export const settingsPages = new Hono<AppEnv>()
  .get("/app/w/:workspaceId/settings", (c) => settingsPage(c))
  .post("/app/w/:workspaceId/settings/rename", (c) =>
    attempt(
      async () => {
        await renameWorkspace({
          ctx: c.var.ctx,
          input: { workspaceId: c.req.param("workspaceId"), name: formOf(c).text("name") },
        });
        return done(c, wsPath(c, "/settings"), "workspace_renamed");
      },
      (error) => settingsPage(c, error),
    ),
  )
  .post("/app/w/:workspaceId/settings/transfer", (c) =>
    attempt(
      async () => {
        await transferWorkspace({
          ctx: c.var.ctx,
          input: { workspaceId: c.req.param("workspaceId"), userId: formOf(c).text("userId") },
        });
        return done(c, wsPath(c, "/settings"), "workspace_transferred");
      },
      (error) => settingsPage(c, error),
    ),
  )
  .post("/app/w/:workspaceId/settings/delete", (c) =>
    attempt(
      async () => {
        await deleteWorkspace({
          ctx: c.var.ctx,
          input: { workspaceId: c.req.param("workspaceId"), confirm: formOf(c).text("confirm") },
        });
        return done(c, "/app", "workspace_deleted");
      },
      (error) => settingsPage(c, error),
    ),
  )
  .post("/app/w/:workspaceId/settings/leave", (c) =>
    attempt(
      async () => {
        await leaveWorkspace({ ctx: c.var.ctx, input: { workspaceId: c.req.param("workspaceId") } });
        return done(c, "/app", "left");
      },
      (error) => settingsPage(c, error),
    ),
  );
