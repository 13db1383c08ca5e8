// API keys: create (scopes, table allowlist, caps, expiry), revoke after a confirmation step,
// rotate with grace. Every form redirects (POST-redirect-GET, so a reload never mints a second
// key); the new secret rides the redirect in the sealed one-time flash (../flash) and is shown on
// the first GET only, never in a URL or on a later page.
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../http/env";
import { commaList, parseForm, typedNumber } from "../../http/form";
import { ApiError } from "../../lib/errors";
import { SCOPE_NAMES, scopesForRole } from "../../lib/scopes";
import {
  type CreatedKey,
  createKey,
  createKeyInput,
  getKey,
  listKeys,
  revokeKey,
  rotateKey,
  rotateKeyInput,
} from "../../services/keys";
import { redirectWithFlash } from "../flash";
import { attempt, currentWorkspace, DataTable, Field, navOf, type PageContext, typed, wsPath } from "../kit";
import { count, done, ErrorBox, PostForm, render, when } from "../layout";
import { formOf } from "../session";

const DAY_MS = 86_400_000;

/** The redirect after minting: the token rides the one-time flash to the keys page. */
const revealKey = (c: PageContext, created: CreatedKey, verb: string) =>
  redirectWithFlash(c, wsPath(c, "/keys"), {
    notice: `Key "${created.key.name}" ${verb}.`,
    reveal: {
      id: "new-key-token",
      title: "Copy this key now. It will not be shown again.",
      value: created.token,
      caption: `${created.key.name} · ${created.key.prefix} · scopes ${created.key.scopes.join(", ")}`,
    },
  });

async function keysPage(c: PageContext, state: { error?: unknown } = {}) {
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
      status: state.error ? (state.error instanceof ApiError ? state.error.status : 400) : 200,
    },
    <>
      <h1>API keys</h1>
      <p class="muted">
        {count(keys.length)} {keys.length === 1 ? "key" : "keys"}
      </p>
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
                  <a class="button danger" href={wsPath(c, `/keys/${k.id}/revoke`)}>
                    {`Revoke ${k.name}`}
                  </a>{" "}
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
          <Field
            label="Requests per minute (cap)"
            name="perMinute"
            type="number"
            value={typed(c, "perMinute")}
            extra={{ min: "1", step: "1", inputmode: "numeric" }}
          />
          <Field
            label="Requests per month (cap)"
            name="monthlyCap"
            type="number"
            value={typed(c, "monthlyCap")}
            extra={{ min: "1", step: "1", inputmode: "numeric" }}
          />
          <Field
            label="Expires in days"
            name="expiresInDays"
            type="number"
            value={typed(c, "expiresInDays")}
            extra={{ min: "0", step: "any", inputmode: "decimal" }}
          />
        </div>
        <button type="submit">Create key</button>
      </PostForm>
    </>,
  );
}

/** The confirmation step before a revoke: what stops working, and a button that does it. */
async function revokePage(c: PageContext) {
  const workspace = await currentWorkspace(c);
  const key = await getKey({
    ctx: c.var.ctx,
    input: { workspaceId: workspace.id, keyId: c.req.param("keyId") ?? "" },
  });
  const live = key.status === "active" || key.status === "rotating";
  return render(
    c,
    { title: `Revoke ${key.name}`, workspace: navOf(workspace), section: "keys" },
    <>
      <h1>Revoke the key "{key.name}"?</h1>
      {live ? (
        <>
          <p>
            Every request with <code>{key.prefix}</code> is refused from the next one on, and the keys it
            minted stop with it. This cannot be undone: a client that still needs access needs a new key.
          </p>
          <p class="muted">
            Scopes {key.scopes.join(", ")} · last used {when(key.lastUsedAt)}
          </p>
          <PostForm c={c} action={wsPath(c, `/keys/${key.id}/revoke`)} class="inline">
            <button type="submit" class="danger">
              Revoke {key.name}
            </button>
          </PostForm>{" "}
          <a class="button secondary" href={wsPath(c, "/keys")}>
            Cancel
          </a>
        </>
      ) : (
        <p>
          This key is already {key.status}. <a href={wsPath(c, "/keys")}>Back to the keys</a>
        </p>
      )}
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
        return revealKey(c, created, "created");
      },
      (error) => keysPage(c, { error }),
    ),
  )
  // Revoking cannot be undone: the list links here, and this page asks before the POST does it.
  .get("/app/w/:workspaceId/keys/:keyId/revoke", (c) => revokePage(c))
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
        return revealKey(c, created, "rotated: the new key is below");
      },
      (error) => keysPage(c, { error }),
    ),
  );
