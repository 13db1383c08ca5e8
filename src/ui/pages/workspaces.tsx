// Workspaces: the signed-in person's list, creating one (with its region) and the demo workspace.
import { Hono } from "hono";
import type { AppEnv } from "../../http/env";
import { parseForm } from "../../http/form";
import { REGIONS } from "../../lib/tenancy";
import { currentSession } from "../../services/auth";
import { createDemoWorkspace } from "../../services/demo";
import { createWorkspace, createWorkspaceInput, listWorkspaces } from "../../services/workspaces";
import { attempt, DataTable, Field, type PageContext, typed } from "../kit";
import { ActionButton, done, ErrorBox, PostForm, render } from "../layout";
import { formOf } from "../session";

async function workspacesPage(c: PageContext, error?: unknown) {
  const [workspaces, me] = await Promise.all([
    listWorkspaces({ ctx: c.var.ctx }),
    currentSession({ ctx: c.var.ctx }),
  ]);
  return render(
    c,
    { title: "Workspaces", status: error ? 400 : 200 },
    <>
      <h1>Your workspaces</h1>
      {me.user.emailVerified ? null : (
        <div class="notice" role="status">
          Verify your email address ({me.user.email}) to create keys, invite people and more.{" "}
          <ActionButton c={c} action="/verify-email/resend" label="Send the link again" />
        </div>
      )}
      <DataTable
        items={workspaces}
        columns={[
          { header: "Name", cell: (w) => <a href={`/app/w/${w.id}`}>{w.name}</a> },
          { header: "Id", cell: (w) => <code>{w.id}</code> },
          { header: "Region", cell: (w) => w.region },
          { header: "Plan", cell: (w) => w.plan },
          { header: "Role", cell: (w) => w.role },
        ]}
        empty="You are in no workspace yet: create one below, or open an invitation you were sent."
      />
      <h2>Create a workspace</h2>
      <ErrorBox error={error} />
      <PostForm c={c} action="/app/workspaces">
        <Field label="Name" name="name" value={typed(c, "name")} required />
        <label>
          Region
          <select name="region">
            {REGIONS.map((r) => (
              <option value={r}>{r}</option>
            ))}
          </select>
        </label>
        <button type="submit">Create workspace</button>
      </PostForm>
      <h2>Demo data</h2>
      <p class="muted">
        Creates a separate “Demo” workspace with sample tables to try things on. Your own workspaces are left
        alone.
      </p>
      <ActionButton c={c} action="/app/demo" label="Create demo workspace" />
    </>,
  );
}

export const workspacePages = new Hono<AppEnv>()
  .get("/app", (c) => workspacesPage(c))
  .post("/app/workspaces", (c) =>
    attempt(
      async () => {
        const form = formOf(c);
        const { workspace } = await createWorkspace({
          ctx: c.var.ctx,
          input: parseForm(createWorkspaceInput, { name: form.text("name"), region: form.text("region") }),
        });
        return done(c, `/app/w/${workspace.id}`, "workspace_created");
      },
      (error) => workspacesPage(c, error),
    ),
  )
  .post("/app/demo", (c) =>
    attempt(
      async () => {
        const workspace = await createDemoWorkspace({ ctx: c.var.ctx });
        return done(c, `/app/w/${workspace.id}`, "demo_created");
      },
      (error) => workspacesPage(c, error),
    ),
  );
