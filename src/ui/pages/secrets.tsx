// The vault's secrets: write-only values (after saving, only the last four characters and a
// fingerprint are shown), set and delete.
import { Hono } from "hono";
import type { AppEnv } from "../../http/env";
import { parseForm } from "../../http/form";
import { deleteSecret, listSecrets, setSecret, setSecretInput, VAULT_KINDS } from "../../services/secrets";
import { attempt, currentWorkspace, DataTable, Field, navOf, type PageContext, typed, wsPath } from "../kit";
import { ActionButton, done, ErrorBox, PostForm, render, when } from "../layout";
import { formOf } from "../session";

async function secretsPage(c: PageContext, error?: unknown) {
  const workspace = await currentWorkspace(c);
  const secrets = await listSecrets({ ctx: c.var.ctx, input: { workspaceId: workspace.id } });
  return render(
    c,
    { title: "Secrets", workspace: navOf(workspace), section: "secrets", status: error ? 400 : 200 },
    <>
      <h1>Secrets</h1>
      <p class="muted">
        Values are write-only: after saving, only the last four characters and a fingerprint remain visible.
      </p>
      <DataTable
        items={secrets}
        columns={[
          { header: "Name", cell: (s) => <code>{s.name}</code> },
          { header: "Kind", cell: (s) => s.kind },
          { header: "Last four", cell: (s) => <code>…{s.last4}</code> },
          { header: "Fingerprint", cell: (s) => <code>{s.fingerprint}</code> },
          { header: "Set by", cell: (s) => <code>{s.setBy ?? ""}</code> },
          { header: "Updated", cell: (s) => when(s.updatedAt) },
          {
            header: "",
            cell: (s) => (
              <ActionButton c={c} action={wsPath(c, `/secrets/${s.name}/delete`)} label="Delete" danger />
            ),
          },
        ]}
      />
      <h2>Set a secret</h2>
      <ErrorBox error={error} />
      <PostForm c={c} action={wsPath(c, "/secrets")}>
        <Field
          label="Name (UPPER_SNAKE_CASE)"
          name="name"
          value={typed(c, "name")}
          required
          placeholder="STRIPE_KEY"
        />
        <Field label="Value" name="value" type="password" required autocomplete="off" />
        <label>
          Kind
          <select name="kind">
            {VAULT_KINDS.map((k) => (
              <option value={k}>{k}</option>
            ))}
          </select>
        </label>
        <button type="submit">Save secret</button>
      </PostForm>
    </>,
  );
}

export const secretPages = new Hono<AppEnv>()
  .get("/app/w/:workspaceId/secrets", (c) => secretsPage(c))
  .post("/app/w/:workspaceId/secrets", (c) =>
    attempt(
      async () => {
        const form = formOf(c);
        await setSecret({
          ctx: c.var.ctx,
          input: parseForm(setSecretInput, {
            workspaceId: c.req.param("workspaceId"),
            name: form.text("name"),
            value: form.text("value"),
            kind: form.text("kind"),
          }),
        });
        return done(c, wsPath(c, "/secrets"), "secret_saved");
      },
      (error) => secretsPage(c, error),
    ),
  )
  .post("/app/w/:workspaceId/secrets/:name/delete", async (c) => {
    await deleteSecret({
      ctx: c.var.ctx,
      input: { workspaceId: c.req.param("workspaceId"), name: c.req.param("name") },
    });
    return done(c, wsPath(c, "/secrets"), "secret_deleted");
  });
