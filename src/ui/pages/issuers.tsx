// Issuers of end-user tokens (the app's own sign-in): register one (HS256 secret or JWKS URL,
// role claim, default role, table allowlist) and remove it.
import { Hono } from "hono";
import type { AppEnv } from "../../http/env";
import { commaList, optionalText, parseForm } from "../../http/form";
import { createIssuer, createIssuerInput, deleteIssuer, listIssuers } from "../../services/issuers";
import { attempt, currentWorkspace, DataTable, Field, navOf, type PageContext, typed, wsPath } from "../kit";
import { ActionButton, done, ErrorBox, PostForm, render } from "../layout";
import { formOf } from "../session";

async function issuersPage(c: PageContext, error?: unknown) {
  const workspace = await currentWorkspace(c);
  const issuers = await listIssuers({ ctx: c.var.ctx, input: { workspaceId: workspace.id } });
  return render(
    c,
    { title: "Issuers", workspace: navOf(workspace), section: "issuers", status: error ? 400 : 200 },
    <>
      <h1>Token issuers</h1>
      <p class="muted">
        Your app's own sign-in: tokens from these issuers act as end users of this workspace.
      </p>
      <DataTable
        items={issuers}
        columns={[
          { header: "Name", cell: (i) => i.name },
          { header: "Kind", cell: (i) => i.kind },
          {
            header: "Issuer / audience",
            cell: (i) => (
              <>
                <code>{i.issuer}</code> / <code>{i.audience}</code>
                {i.jwksUrl ? (
                  <>
                    <br />
                    <code>{i.jwksUrl}</code>
                  </>
                ) : null}
              </>
            ),
          },
          {
            header: "Roles",
            cell: (i) => (
              <>
                claim <code>{i.roleClaim}</code>, default {i.defaultRole}
              </>
            ),
          },
          { header: "Tables", cell: (i) => (i.tables ? i.tables.join(", ") : "all") },
          {
            header: "Status",
            cell: (i) => (i.disabledAt ? `disabled: ${i.disabledReason ?? ""}` : "active"),
          },
          {
            header: "",
            cell: (i) => (
              <ActionButton c={c} action={wsPath(c, `/issuers/${i.id}/delete`)} label="Remove" danger />
            ),
          },
        ]}
      />
      <h2>Register an issuer</h2>
      <ErrorBox error={error} />
      <PostForm c={c} action={wsPath(c, "/issuers")}>
        <Field label="Name" name="name" value={typed(c, "name")} required />
        <label>
          Kind
          <select name="kind">
            <option value="hs256">HS256 (shared secret)</option>
            <option value="jwks" selected={typed(c, "kind") === "jwks"}>
              JWKS (public keys at a URL)
            </option>
          </select>
        </label>
        <Field label="Issuer (iss)" name="issuer" value={typed(c, "issuer")} required />
        <Field label="Audience (aud)" name="audience" value={typed(c, "audience")} required />
        <Field label="HS256 secret (32+ characters)" name="secret" type="password" autocomplete="off" />
        <Field label="JWKS URL (https)" name="jwksUrl" value={typed(c, "jwksUrl")} />
        <Field label="Role claim" name="roleClaim" value={typed(c, "roleClaim")} placeholder="role" />
        <label>
          Default role
          <select name="defaultRole">
            <option value="viewer">viewer</option>
            <option value="member">member</option>
          </select>
        </label>
        <Field
          label="Tables (comma-separated; empty: every table)"
          name="tables"
          value={typed(c, "tables")}
        />
        <button type="submit">Register issuer</button>
      </PostForm>
    </>,
  );
}

/**
 * The register form, read by the verb's own schema: tables as a comma list; a role claim or
 * default role left empty is absent (the verb's defaults).
 */
const createForm = createIssuerInput.extend({
  tables: commaList(createIssuerInput.shape.tables),
  roleClaim: optionalText(createIssuerInput.shape.roleClaim),
  defaultRole: optionalText(createIssuerInput.shape.defaultRole),
});

export const issuerPages = new Hono<AppEnv>()
  .get("/app/w/:workspaceId/issuers", (c) => issuersPage(c))
  .post("/app/w/:workspaceId/issuers", (c) =>
    attempt(
      async () => {
        const form = formOf(c);
        const kind = form.text("kind");
        await createIssuer({
          ctx: c.var.ctx,
          input: parseForm(createForm, {
            workspaceId: c.req.param("workspaceId"),
            name: form.text("name"),
            kind,
            issuer: form.text("issuer"),
            audience: form.text("audience"),
            defaultRole: form.text("defaultRole"),
            tables: form.text("tables"),
            roleClaim: form.text("roleClaim"),
            // The form offers both credentials; only the chosen kind's is sent.
            ...(kind === "jwks" ? { jwksUrl: form.text("jwksUrl") } : { secret: form.text("secret") }),
          }),
        });
        return done(c, wsPath(c, "/issuers"), "issuer_saved");
      },
      (error) => issuersPage(c, error),
    ),
  )
  .post("/app/w/:workspaceId/issuers/:issuerId/delete", async (c) => {
    await deleteIssuer({
      ctx: c.var.ctx,
      input: { workspaceId: c.req.param("workspaceId"), issuerId: c.req.param("issuerId") },
    });
    return done(c, wsPath(c, "/issuers"), "issuer_deleted");
  });
