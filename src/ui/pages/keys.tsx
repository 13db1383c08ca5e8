// API keys: create (scopes, table allowlist, caps, expiry) with the secret shown once on the
// answer page (never stored for a replay, never on a later page), revoke, rotate with grace.
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../http/env";
import { commaList, parseForm, typedNumber } from "../../http/form";
import { SCOPE_NAMES, scopesForRole } from "../../lib/scopes";
import {
  type CreatedKey,
  createKey,
  createKeyInput,
  listKeys,
  revokeKey,
  rotateKey,
  rotateKeyInput,
} from "../../services/keys";
import { attempt, currentWorkspace, DataTable, Field, navOf, type PageContext, typed, wsPath } from "../kit";
import { ActionButton, done, ErrorBox, PostForm, render, when } from "../layout";
import { formOf } from "../session";

const DAY_MS = 86_400_000;

/** Shown once, on the response to the create or rotate form, with a copy button. */
const SecretOnce = ({ created }: { created: CreatedKey }) => (
  <div class="secret" role="status">
    <p>
      <strong>Copy this key now. It will not be shown again.</strong>
    </p>
    <p>
      <code id="new-key-token">{created.token}</code>{" "}
      <button type="button" class="secondary" data-copy="new-key-token" hidden>
        Copy
      </button>
    </p>
    <p class="muted">
      {created.key.name} · {created.key.prefix} · scopes {created.key.scopes.join(", ")}
    </p>
  </div>
);

async function keysPage(c: PageContext, state: { error?: unknown; created?: CreatedKey } = {}) {
  const workspace = await currentWorkspace(c);
  const keys = await listKeys({ ctx: c.var.ctx, input: { workspaceId: workspace.id } });
  const grantable = workspace.role ? scopesForRole(workspace.role) : [];
  const chosen = c.get("form")?.all("scopes");
  return render(
    c,
    {
      title: "API keys",
      workspace: navOf(workspace),
      section: "keys",
      status: state.error ? 400 : state.created ? 201 : 200,
    },
    <>
      <h1>API keys</h1>
      {state.created ? <SecretOnce created={state.created} /> : null}
      <DataTable
        items={keys}
        empty="No keys yet."
        columns={[
          { header: "Name", cell: (k) => k.name },
          { header: "Key", cell: (k) => <code>{k.prefix}</code> },
          { header: "Scopes", cell: (k) => k.scopes.join(", ") },
          { header: "Tables", cell: (k) => (k.tables ? k.tables.join(", ") : "all") },
          { header: "Status", cell: (k) => k.status },
          { header: "Last used", cell: (k) => when(k.lastUsedAt) },
          { header: "Expires", cell: (k) => when(k.expiresAt) },
          {
            header: "",
            cell: (k) =>
              k.status === "active" || k.status === "rotating" ? (
                <>
                  <ActionButton
                    c={c}
                    action={wsPath(c, `/keys/${k.id}/revoke`)}
                    label={`Revoke ${k.name}`}
                    danger
                  />{" "}
                  <PostForm c={c} action={wsPath(c, `/keys/${k.id}/rotate`)} class="inline">
                    <select name="grace" aria-label="Grace period">
                      <option value="0">no grace</option>
                      <option value="3600">1 h grace</option>
                      <option value="86400">24 h grace</option>
                    </select>
                    <button type="submit" class="secondary">
                      Rotate
                    </button>
                  </PostForm>
                </>
              ) : null,
          },
        ]}
      />
      <h2>Create a key</h2>
      <ErrorBox error={state.error} />
      <PostForm c={c} action={wsPath(c, "/keys")}>
        <Field label="Name" name="name" value={typed(c, "name")} required placeholder="backend" />
        <fieldset>
          <legend>Scopes (at most your own role's)</legend>
          {SCOPE_NAMES.map((scope) => (
            <label class="check">
              <input
                type="checkbox"
                name="scopes"
                value={scope}
                disabled={!grantable.includes(scope)}
                checked={chosen ? chosen.includes(scope) : scope === "data:read"}
              />{" "}
              {scope}
            </label>
          ))}
        </fieldset>
        <Field
          label="Tables (comma-separated; empty: every table)"
          name="tables"
          value={typed(c, "tables")}
          placeholder="notes, orders"
        />
        <div class="columns">
          <Field label="Requests per minute (cap)" name="perMinute" value={typed(c, "perMinute")} />
          <Field label="Requests per month (cap)" name="monthlyCap" value={typed(c, "monthlyCap")} />
          <Field label="Expires in days" name="expiresInDays" value={typed(c, "expiresInDays")} />
        </div>
        <button type="submit">Create key</button>
      </PostForm>
    </>,
  );
}

/**
 * The key forms, read by the verbs' own schemas: caps and the rotate form's `grace` typed as text,
 * the tables as a comma list, and an expiry in days from now where the verb takes an instant (the
 * verb checks that instant).
 */
const createForm = createKeyInput
  .omit({ expiresAt: true })
  .extend({
    tables: commaList(createKeyInput.shape.tables),
    perMinute: typedNumber(createKeyInput.shape.perMinute),
    monthlyCap: typedNumber(createKeyInput.shape.monthlyCap),
    expiresInDays: typedNumber(z.number().optional()),
  })
  .transform(({ expiresInDays, ...key }) => ({
    ...key,
    ...(expiresInDays === undefined ? {} : { expiresAt: Date.now() + expiresInDays * DAY_MS }),
  }));
const rotateForm = rotateKeyInput.extend({ graceSeconds: typedNumber(rotateKeyInput.shape.graceSeconds) });

export const keyPages = new Hono<AppEnv>()
  .get("/app/w/:workspaceId/keys", (c) => keysPage(c))
  .post("/app/w/:workspaceId/keys", (c) =>
    attempt(
      async () => {
        const form = formOf(c);
        const created = await createKey({
          ctx: c.var.ctx,
          input: parseForm(createForm, {
            workspaceId: c.req.param("workspaceId"),
            name: form.text("name"),
            scopes: form.all("scopes"),
            tables: form.text("tables"),
            perMinute: form.text("perMinute"),
            monthlyCap: form.text("monthlyCap"),
            expiresInDays: form.text("expiresInDays"),
          }),
        });
        c.set("form", undefined);
        return keysPage(c, { created });
      },
      (error) => keysPage(c, { error }),
    ),
  )
  .post("/app/w/:workspaceId/keys/:keyId/revoke", async (c) => {
    await revokeKey({
      ctx: c.var.ctx,
      input: { workspaceId: c.req.param("workspaceId"), keyId: c.req.param("keyId") },
    });
    return done(c, wsPath(c, "/keys"), "key_revoked");
  })
  .post("/app/w/:workspaceId/keys/:keyId/rotate", (c) =>
    attempt(
      async () => {
        const created = await rotateKey({
          ctx: c.var.ctx,
          input: parseForm(rotateForm, {
            workspaceId: c.req.param("workspaceId"),
            keyId: c.req.param("keyId"),
            graceSeconds: formOf(c).text("grace"),
          }),
        });
        c.set("form", undefined);
        return keysPage(c, { created });
      },
      (error) => keysPage(c, { error }),
    ),
  );
