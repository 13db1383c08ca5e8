import type { Client } from "@libsql/client/web";
import { and, desc, eq } from "drizzle-orm";
import { systemDb } from "../../db/tenant/client";
import { webhookDeliveries, webhooks } from "../../db/tenant/schema";
import { encryptSecret, importKeyring, secretBinding } from "../../lib/crypto";
import { ApiError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { commitWithAudit, recordAudit } from "../audit";
import { authorizeWorkspace } from "../core/access";
import { assertRoomFor } from "../core/caps";
import { parseInput, type ServiceArgs, type ServiceContext } from "../core/context";
import { checkedTargetUrl } from "../outbound";
import { creatorIdOf } from "../standing";
import { requireVerifiedActor } from "../verified";
import { enqueueTestDelivery } from "./events";
import { registerForSweep, sendDeliveries } from "./outbox";
import {
  createWebhookInput,
  type Delivery,
  deliveryTarget,
  EVENT_NEEDS,
  MANAGE_WEBHOOKS,
  updateWebhookInput,
  type Webhook,
  type WebhookEvent,
  webhookTarget,
  workspaceScoped,
} from "./schemas";
import { newWebhookSecret } from "./signing";

export { dispatchAfterCommit, emitWebhookEvent, emitWebhookEvents, outboxStatements } from "./events";
export * from "./schemas";
export { runScheduledWebhookSweep } from "./sweep";

const manage = MANAGE_WEBHOOKS;
/** A rotated-out secret keeps signing (beside the new one) this long (architecture §8). */
export const SECRET_OVERLAP_MS = 24 * 3_600_000;

export const webhookSecretBinding = (workspaceId: string, id: string) =>
  secretBinding("webhook_secret", workspaceId, id);

const view = (row: typeof webhooks.$inferSelect): Webhook => ({
  id: row.id,
  url: row.url,
  events: JSON.parse(row.events) as string[],
  description: row.description,
  enabled: row.enabled === 1,
  disabledReason: row.disabledReason,
  failingSince: row.failingSince,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

const checkedUrl = (ctx: ServiceContext, raw: string) => checkedTargetUrl(ctx.config, "url", raw);

/**
 * The principal who configures an endpoint answers for it (architecture §3): an account that has proved
 * its address, or a key whose creator has, that may read every event it subscribes to (a key's
 * scopes and tables decide, as for a request of its own). Returns the id recorded as its creator.
 */
async function accountableFor(ctx: ServiceContext, workspaceId: string, events: readonly string[]) {
  const creator = creatorIdOf(ctx.actor);
  if (creator === null) throw new ApiError("forbidden", "Only members and their API keys configure webhooks");
  await requireVerifiedActor(ctx);
  for (const event of new Set(events)) {
    const need = EVENT_NEEDS[event as WebhookEvent];
    if (!need) continue;
    try {
      await authorizeWorkspace(ctx, workspaceId, need);
    } catch (error) {
      if (!(error instanceof ApiError) || !["forbidden", "insufficient_scope"].includes(error.code))
        throw error;
      throw new ApiError(error.code, `Cannot subscribe to ${event}: ${error.message}`, {
        details: { field: "events", event },
      });
    }
  }
  return creator;
}

async function load(db: Client, id: string) {
  const [row] = await systemDb(db).select().from(webhooks).where(eq(webhooks.id, id));
  if (!row) throw new ApiError("not_found", "Webhook not found");
  return row;
}

/** Registers an endpoint; its `whsec_` secret is returned this once and stored encrypted. */
export async function createWebhook({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; url: string; events: string[]; description?: string }>): Promise<{
  webhook: Webhook;
  secret: string;
}> {
  const input = parseInput(createWebhookInput, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, manage);
  const createdBy = await accountableFor(ctx, access.workspace.id, input.events);
  const url = await checkedUrl(ctx, input.url);
  // On the sweep's list before the endpoint exists, so no event of it can wait unswept.
  await registerForSweep(ctx, access.workspace.id);
  const id = newId("wh");
  const secret = newWebhookSecret();
  const keyring = await importKeyring(ctx.config.ISLET_KEYRING);
  const envelope = await encryptSecret(keyring, secret, webhookSecretBinding(access.workspace.id, id));
  const now = Date.now();
  const row = {
    id,
    url,
    events: JSON.stringify([...new Set(input.events)]),
    description: input.description,
    enabled: 1,
    secretEnc: envelope,
    previousSecretEnc: null,
    previousUntil: null,
    failingSince: null,
    disabledReason: null,
    createdBy,
    createdAt: now,
    updatedAt: now,
    authorizedAt: now,
  };
  await commitWithAudit(
    ctx,
    await access.db(),
    // Counted under the write lock: parallel creates cannot pass the plan's cap (every write
    // fans out to each endpoint).
    async (tx) => {
      await assertRoomFor(tx, access.workspace.plan, "webhooks");
      return [
        {
          sql: `INSERT INTO _islet_webhooks (id, url, events, description, enabled, secret_enc, created_by, created_at, updated_at, authorized_at)
                VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?)`,
          args: [id, url, row.events, row.description, envelope, row.createdBy, now, now, now],
        },
      ];
    },
    [
      {
        action: "webhook.create",
        targetType: "webhook",
        targetId: id,
        details: { url, events: input.events },
      },
    ],
  );
  return { webhook: view(row), secret };
}

export async function listWebhooks({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string }>): Promise<Webhook[]> {
  const input = parseInput(workspaceScoped, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, manage);
  return (
    await systemDb(await access.db())
      .select()
      .from(webhooks)
      .orderBy(webhooks.createdAt)
  ).map(view);
}

export async function getWebhook({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; webhookId: string }>): Promise<Webhook> {
  const input = parseInput(webhookTarget, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, manage);
  return view(await load(await access.db(), input.webhookId));
}

/**
 * Changes the URL (checked again), events, description, or re-enables a disabled endpoint. Who
 * retargets or re-enables an endpoint answers for it from then on: it stops when their authority ends.
 */
export async function updateWebhook({
  ctx,
  input: raw,
}: ServiceArgs<{
  workspaceId: string;
  webhookId: string;
  changes: { url?: string; events?: string[]; description?: string; enabled?: boolean };
}>): Promise<Webhook> {
  const input = parseInput(updateWebhookInput, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, manage);
  const db = await access.db();
  const current = await load(db, input.webhookId);
  const { changes } = input;
  const now = Date.now();
  // Pointing it elsewhere, at other events, or turning it back on is standing behind it; stopping
  // it or renaming it is not (anyone who manages webhooks may switch one off).
  const retargets = changes.url !== undefined || changes.events !== undefined || changes.enabled === true;
  const events = changes.events ?? (JSON.parse(current.events) as string[]);
  if (changes.enabled === true) await registerForSweep(ctx, access.workspace.id);
  const next = {
    ...current,
    ...(retargets
      ? { createdBy: await accountableFor(ctx, access.workspace.id, events), authorizedAt: now }
      : {}),
    url: changes.url === undefined ? current.url : await checkedUrl(ctx, changes.url),
    events: changes.events === undefined ? current.events : JSON.stringify([...new Set(changes.events)]),
    description: changes.description ?? current.description,
    enabled: changes.enabled === undefined ? current.enabled : changes.enabled ? 1 : 0,
    // Re-enabling starts the failure clock afresh.
    ...(changes.enabled ? { failingSince: null, disabledReason: null } : {}),
    updatedAt: now,
  };
  await commitWithAudit(
    ctx,
    db,
    [
      {
        sql: `UPDATE _islet_webhooks SET url = ?, events = ?, description = ?, enabled = ?, failing_since = ?,
              disabled_reason = ?, updated_at = ?, created_by = ?, authorized_at = ? WHERE id = ?`,
        args: [
          next.url,
          next.events,
          next.description,
          next.enabled,
          next.failingSince,
          next.disabledReason,
          next.updatedAt,
          next.createdBy,
          next.authorizedAt,
          next.id,
        ],
      },
    ],
    [
      {
        action: "webhook.update",
        targetType: "webhook",
        targetId: next.id,
        details: {
          changed: Object.keys(changes).filter((k) => changes[k as keyof typeof changes] !== undefined),
        },
      },
    ],
  );
  return view(next);
}

export async function deleteWebhook({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; webhookId: string }>): Promise<void> {
  const input = parseInput(webhookTarget, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, manage);
  const [result] = await commitWithAudit(
    ctx,
    await access.db(),
    [
      { sql: "DELETE FROM _islet_webhooks WHERE id = ?", args: [input.webhookId] },
      { sql: "DELETE FROM _islet_webhook_deliveries WHERE endpoint_id = ?", args: [input.webhookId] },
    ],
    [{ action: "webhook.delete", targetType: "webhook", targetId: input.webhookId }],
  );
  if (result?.rowsAffected === 0) throw new ApiError("not_found", "Webhook not found");
}

/** A new secret, shown once; the old one keeps signing beside it for 24 h. */
export async function rotateWebhookSecret({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; webhookId: string }>): Promise<{ webhook: Webhook; secret: string }> {
  const input = parseInput(webhookTarget, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, manage);
  const db = await access.db();
  const current = await load(db, input.webhookId);
  const secret = newWebhookSecret();
  const keyring = await importKeyring(ctx.config.ISLET_KEYRING);
  const envelope = await encryptSecret(
    keyring,
    secret,
    webhookSecretBinding(access.workspace.id, current.id),
  );
  const now = Date.now();
  await commitWithAudit(
    ctx,
    db,
    [
      {
        sql: `UPDATE _islet_webhooks SET secret_enc = ?, previous_secret_enc = ?, previous_until = ?, updated_at = ?
              WHERE id = ? AND secret_enc = ?`,
        args: [envelope, current.secretEnc, now + SECRET_OVERLAP_MS, now, current.id, current.secretEnc],
      },
    ],
    [{ action: "webhook.rotate_secret", targetType: "webhook", targetId: current.id }],
  );
  return { webhook: view({ ...current, updatedAt: now }), secret };
}

/** Sends a `webhook.test` event to this endpoint alone (it need not subscribe to it). */
export async function testWebhook({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; webhookId: string }>): Promise<{ deliveryId: string }> {
  const input = parseInput(webhookTarget, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, manage);
  const db = await access.db();
  const endpoint = await load(db, input.webhookId);
  const deliveryId = await enqueueTestDelivery(ctx, access.workspace.id, db, endpoint, "webhook.test", {
    webhookId: endpoint.id,
  });
  await recordAudit(ctx, db, { action: "webhook.test", targetType: "webhook", targetId: endpoint.id });
  return { deliveryId };
}

export async function listDeliveries({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; webhookId: string }>): Promise<Delivery[]> {
  const input = parseInput(webhookTarget, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, manage);
  const db = await access.db();
  await load(db, input.webhookId);
  const rows = await systemDb(db)
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.endpointId, input.webhookId))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.eventSeq))
    .limit(100);
  return rows.map(({ endpointId: _, payload: __, eventSeq: ___, nextAttemptAt: ____, ...rest }) => rest);
}

/** Sends a past delivery again, as a fresh attempt series with the same message id. */
export async function redeliver({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; webhookId: string; deliveryId: string }>): Promise<{
  deliveryId: string;
}> {
  const input = parseInput(deliveryTarget, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, manage);
  const db = await access.db();
  const [row] = await systemDb(db)
    .select()
    .from(webhookDeliveries)
    .where(
      and(eq(webhookDeliveries.id, input.deliveryId), eq(webhookDeliveries.endpointId, input.webhookId)),
    );
  if (!row) throw new ApiError("not_found", "Delivery not found");
  await commitWithAudit(
    ctx,
    db,
    [
      {
        sql: `UPDATE _islet_webhook_deliveries SET status = 'pending', attempts = 0, updated_at = ?,
              next_attempt_at = ? WHERE id = ?`,
        args: [Date.now(), Date.now(), row.id],
      },
    ],
    [
      {
        action: "webhook.redeliver",
        targetType: "webhook",
        targetId: input.webhookId,
        details: { deliveryId: row.id },
      },
    ],
  );
  if (!ctx.env.WEBHOOKS) throw new ApiError("unavailable", "Webhook delivery is not configured");
  // Recorded as pending first: a send that fails is the sweep's to repeat.
  await sendDeliveries(ctx, access.workspace.id, [row.id]).catch((error: unknown) =>
    ctx.logger.warn("redelivery left to the sweep", {
      error: error instanceof Error ? error.message : String(error),
    }),
  );
  return { deliveryId: row.id };
}
