// Webhooks: endpoints (the signing secret shown once, on the page the form redirects to, through
// the one-time flash), islet's word when it stopped one, an
// endpoint's delivery log, a test event, enabling, secret rotation and redelivery.
import { Hono } from "hono";
import type { AppEnv } from "../../http/env";
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listDeliveries,
  listWebhooks,
  redeliver,
  rotateWebhookSecret,
  testWebhook,
  updateWebhook,
  WEBHOOK_EVENTS,
} from "../../services/webhooks";
import { type Reveal, redirectWithFlash } from "../flash";
import { attempt, currentWorkspace, DataTable, Field, navOf, type PageContext, typed, wsPath } from "../kit";
import { ActionButton, done, ErrorBox, PostForm, render, when } from "../layout";
import { formOf } from "../session";

type Deliveries = Awaited<ReturnType<typeof listDeliveries>>;

/**
 * islet stopped endpoints (their creator's authority ended, or they kept failing): said where the
 * workspace's admins and owners look, with what re-enabling one means.
 */
function StoppedEndpoints({ count }: { count: number }) {
  if (count === 0) return null;
  return (
    <div class="notice" role="status">
      islet disabled {count === 1 ? "an endpoint" : `${count} endpoints`}: the reason is beside each. An
      endpoint stops when whoever set it up may no longer (removed, demoted, revoked) or when it keeps
      failing; enabling it again makes you the one it answers to.
    </div>
  );
}

async function webhooksPage(c: PageContext, state: { error?: unknown } = {}) {
  const workspace = await currentWorkspace(c);
  const hooks = await listWebhooks({ ctx: c.var.ctx, input: { workspaceId: workspace.id } });
  const chosen = c.get("form")?.all("events");
  return render(
    c,
    { title: "Webhooks", workspace: navOf(workspace), section: "webhooks", status: state.error ? 400 : 200 },
    <>
      <h1>Webhooks</h1>
      <StoppedEndpoints count={hooks.filter((h) => !h.enabled && h.disabledReason).length} />
      <DataTable
        items={hooks}
        empty="No endpoints yet."
        columns={[
          {
            header: "URL",
            cell: (h) => (
              <>
                <a href={wsPath(c, `/webhooks/${h.id}`)}>{h.url}</a>
                {h.description ? <div class="muted">{h.description}</div> : null}
              </>
            ),
          },
          { header: "Events", cell: (h) => h.events.join(", ") },
          {
            header: "Status",
            cell: (h) =>
              h.enabled ? "enabled" : `disabled${h.disabledReason ? `: ${h.disabledReason}` : ""}`,
          },
        ]}
      />
      <h2>Add an endpoint</h2>
      <ErrorBox error={state.error} />
      <PostForm c={c} action={wsPath(c, "/webhooks")}>
        <Field label="URL (https)" name="url" value={typed(c, "url")} required />
        <Field label="Description" name="description" value={typed(c, "description")} />
        <fieldset>
          <legend>Events</legend>
          {WEBHOOK_EVENTS.map((event) => (
            <label class="check">
              <input type="checkbox" name="events" value={event} checked={chosen?.includes(event)} /> {event}
            </label>
          ))}
        </fieldset>
        <button type="submit">Add endpoint</button>
      </PostForm>
    </>,
  );
}

/** The signing secret, for the one-time reveal on the page a form redirects to. */
const secretReveal = (secret: string): Reveal => ({
  id: "webhook-secret",
  title: "The signing secret, shown once:",
  value: secret,
  caption: "Verify each delivery's webhook-signature with it (Standard Webhooks).",
});

async function webhookPage(c: PageContext, state: { error?: unknown } = {}) {
  const workspace = await currentWorkspace(c);
  const webhookId = c.req.param("webhookId") ?? "";
  const [hook, deliveries]: [Awaited<ReturnType<typeof getWebhook>>, Deliveries] = await Promise.all([
    getWebhook({ ctx: c.var.ctx, input: { workspaceId: workspace.id, webhookId } }),
    listDeliveries({ ctx: c.var.ctx, input: { workspaceId: workspace.id, webhookId } }),
  ]);
  const base = wsPath(c, `/webhooks/${webhookId}`);
  return render(
    c,
    { title: "Webhook", workspace: navOf(workspace), section: "webhooks", status: state.error ? 400 : 200 },
    <>
      <p>
        <a href={wsPath(c, "/webhooks")}>← Webhooks</a>
      </p>
      <h1>{hook.url}</h1>
      <ErrorBox error={state.error} />
      <p>
        {hook.events.join(", ")} · {hook.enabled ? "enabled" : "disabled"}
        {hook.failingSince ? ` · failing since ${when(hook.failingSince)}` : ""}
      </p>
      <p>
        <ActionButton c={c} action={`${base}/test`} label="Send a test event" />{" "}
        <ActionButton
          c={c}
          action={`${base}/enabled`}
          label={hook.enabled ? "Disable" : "Enable"}
          fields={{ enabled: hook.enabled ? "" : "1" }}
        />{" "}
        <ActionButton c={c} action={`${base}/rotate-secret`} label="Rotate secret" />{" "}
        <ActionButton c={c} action={`${base}/delete`} label="Delete" danger />
      </p>
      <h2>Deliveries</h2>
      <DataTable
        items={deliveries}
        empty="Nothing delivered yet."
        columns={[
          { header: "When", cell: (d) => when(d.createdAt) },
          { header: "Event", cell: (d) => d.eventType },
          { header: "Status", cell: (d) => d.status },
          { header: "Attempts", cell: (d) => d.attempts },
          {
            header: "Last answer",
            cell: (d) => (
              <>
                {d.lastStatus ?? "—"} {d.lastLatencyMs !== null ? `(${d.lastLatencyMs} ms)` : ""}
                {d.responseExcerpt ? <pre class="out">{d.responseExcerpt}</pre> : null}
              </>
            ),
          },
          {
            header: "",
            cell: (d) => (
              <ActionButton c={c} action={`${base}/deliveries/${d.id}/redeliver`} label="Redeliver" />
            ),
          },
        ]}
      />
    </>,
  );
}

export const webhookPages = new Hono<AppEnv>()
  .get("/app/w/:workspaceId/webhooks", (c) => webhooksPage(c))
  .post("/app/w/:workspaceId/webhooks", (c) =>
    attempt(
      async () => {
        const form = formOf(c);
        const created = await createWebhook({
          ctx: c.var.ctx,
          input: {
            workspaceId: c.req.param("workspaceId"),
            url: form.text("url"),
            events: form.all("events"),
            description: form.text("description"),
          },
        });
        return redirectWithFlash(c, wsPath(c, "/webhooks"), {
          notice: "Webhook saved.",
          reveal: secretReveal(created.secret),
        });
      },
      (error) => webhooksPage(c, { error }),
    ),
  )
  .get("/app/w/:workspaceId/webhooks/:webhookId", (c) => webhookPage(c))
  .post("/app/w/:workspaceId/webhooks/:webhookId/test", async (c) => {
    await testWebhook({
      ctx: c.var.ctx,
      input: { workspaceId: c.req.param("workspaceId"), webhookId: c.req.param("webhookId") },
    });
    return done(c, wsPath(c, `/webhooks/${c.req.param("webhookId")}`), "webhook_tested");
  })
  .post("/app/w/:workspaceId/webhooks/:webhookId/enabled", async (c) => {
    await updateWebhook({
      ctx: c.var.ctx,
      input: {
        workspaceId: c.req.param("workspaceId"),
        webhookId: c.req.param("webhookId"),
        changes: { enabled: formOf(c).checked("enabled") },
      },
    });
    return done(c, wsPath(c, `/webhooks/${c.req.param("webhookId")}`), "webhook_saved");
  })
  .post("/app/w/:workspaceId/webhooks/:webhookId/rotate-secret", async (c) => {
    const rotated = await rotateWebhookSecret({
      ctx: c.var.ctx,
      input: { workspaceId: c.req.param("workspaceId"), webhookId: c.req.param("webhookId") },
    });
    return redirectWithFlash(c, wsPath(c, `/webhooks/${c.req.param("webhookId")}`), {
      notice: "Signing secret rotated.",
      reveal: secretReveal(rotated.secret),
    });
  })
  .post("/app/w/:workspaceId/webhooks/:webhookId/delete", async (c) => {
    await deleteWebhook({
      ctx: c.var.ctx,
      input: { workspaceId: c.req.param("workspaceId"), webhookId: c.req.param("webhookId") },
    });
    return done(c, wsPath(c, "/webhooks"), "webhook_deleted");
  })
  .post("/app/w/:workspaceId/webhooks/:webhookId/deliveries/:deliveryId/redeliver", async (c) => {
    await redeliver({
      ctx: c.var.ctx,
      input: {
        workspaceId: c.req.param("workspaceId"),
        webhookId: c.req.param("webhookId"),
        deliveryId: c.req.param("deliveryId"),
      },
    });
    return done(c, wsPath(c, `/webhooks/${c.req.param("webhookId")}`), "redelivered");
  });
