import type { Client } from "@libsql/client/web";
import { eq } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { workspaces } from "../../db/control/schema";
import { systemDb, tenantDb } from "../../db/tenant/client";
import { webhooks } from "../../db/tenant/schema";
import { withDeadline } from "../../lib/deadline";
import { newId } from "../../lib/ids";
import { redact } from "../../lib/logger";
import type { ServiceContext } from "../core/context";
import type { WebhookEvent } from "./schemas";
import { endpointStanding } from "./standing";

/** Handing a message to the queue at most this long. */
export const QUEUE_SEND_MS = 2_000;

/** What the queue carries: where the delivery is, never its payload or secret. */
export interface DeliveryMessage {
  workspaceId: string;
  deliveryId: string;
}

type Endpoint = typeof webhooks.$inferSelect;

/** One delivery to make: an endpoint and the event it is sent. */
export interface Outgoing {
  endpoint: Endpoint;
  type: WebhookEvent;
  data: Record<string, unknown>;
}

/** Queues take at most 100 messages per send. */
const QUEUE_BATCH = 100;

/**
 * Records the deliveries (the delivery log is also the outbox) and queues them. Payloads carry ids
 * and changed fields, never secret values, tokens or hashes.
 */
export async function enqueueDeliveries(
  ctx: ServiceContext,
  workspaceId: string,
  db: Client,
  outgoing: Outgoing[],
): Promise<string[]> {
  if (outgoing.length === 0) return [];
  const queue = ctx.env.WEBHOOKS;
  if (!queue) {
    ctx.logger.error("webhook events dropped: no WEBHOOKS queue binding", { count: outgoing.length });
    return [];
  }
  const now = Date.now();
  const timestamp = new Date(now).toISOString();
  const ids = outgoing.map(() => newId("whd"));
  for (let start = 0; start < outgoing.length; start += QUEUE_BATCH) {
    const slice = outgoing.slice(start, start + QUEUE_BATCH);
    await db.batch(
      slice.map(({ endpoint, type, data }, i) => ({
        sql: `INSERT INTO _islet_webhook_deliveries (id, endpoint_id, event_type, payload, created_at, updated_at)
              VALUES (?, ?, ?, ?, ?, ?)`,
        args: [
          ids[start + i] as string,
          endpoint.id,
          type,
          // The log's redaction as a second line of defence: a field named like a credential
          // (a row's `api_token` column, say) leaves as "[redacted]".
          JSON.stringify({ type, timestamp, data: redact(data) }),
          now,
          now,
        ],
      })),
      "write",
    );
    await withDeadline("queue", QUEUE_SEND_MS, () =>
      queue.sendBatch(
        ids
          .slice(start, start + QUEUE_BATCH)
          .map((deliveryId) => ({ body: { workspaceId, deliveryId } satisfies DeliveryMessage })),
      ),
    );
  }
  return ids;
}

/**
 * Events for the workspace's subscribed, enabled endpoints whose creators may still read them.
 * Callers emit only after their change has committed, so a write that rolled back announces nothing. Runs after the response; a
 * failure to enqueue is logged, never a failure of the write.
 */
export function emitWebhookEvents(
  ctx: ServiceContext,
  workspaceId: string,
  events: { type: WebhookEvent; data: Record<string, unknown> }[],
): void {
  if (events.length === 0) return;
  ctx.waitUntil(
    (async () => {
      const workspace =
        ctx.workspace?.id === workspaceId
          ? ctx.workspace
          : (await controlDb(ctx.config).select().from(workspaces).where(eq(workspaces.id, workspaceId)))[0];
      if (workspace?.status !== "active") return;
      const db = await tenantDb(ctx.config, workspace);
      let endpoints: Endpoint[];
      try {
        endpoints = await systemDb(db).select().from(webhooks).where(eq(webhooks.enabled, 1));
      } catch (error) {
        // A tenant not yet migrated to webhooks has no endpoint.
        if (/no such table/i.test(String(error))) return;
        throw error;
      }
      const outgoing: Outgoing[] = [];
      for (const endpoint of endpoints) {
        const subscribed = JSON.parse(endpoint.events) as string[];
        const wanted = events.filter((e) => subscribed.includes(e.type));
        if (wanted.length === 0) continue;
        // Its creator as they stand now: an endpoint never receives what they could not read.
        const standing = await endpointStanding(ctx, workspace, endpoint);
        if (!standing.ok) continue;
        for (const event of wanted) {
          if (await standing.reads(event.type, event.data)) outgoing.push({ endpoint, ...event });
        }
      }
      await enqueueDeliveries(ctx, workspaceId, db, outgoing);
    })().catch((error: unknown) =>
      ctx.logger.error("webhook events could not be enqueued", {
        error: error instanceof Error ? error.message : String(error),
      }),
    ),
  );
}

export const emitWebhookEvent = (
  ctx: ServiceContext,
  workspaceId: string,
  type: WebhookEvent,
  data: Record<string, unknown>,
) => emitWebhookEvents(ctx, workspaceId, [{ type, data }]);
