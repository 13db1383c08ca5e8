import type { Client } from "@libsql/client/web";
import { eq } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { type WorkspaceRow, workspaces } from "../../db/control/schema";
import { tenantDb } from "../../db/tenant/client";
import type { webhooks } from "../../db/tenant/schema";
import { newId } from "../../lib/ids";
import { redact } from "../../lib/logger";
import type { ServiceContext } from "../core/context";
import { dispatchOutbox, type OutboxEvent, outboxStatements, sendDeliveries } from "./outbox";
import type { WebhookEvent } from "./schemas";

export { type DeliveryMessage, outboxStatements, QUEUE_SEND_MS } from "./outbox";

type Endpoint = typeof webhooks.$inferSelect;

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function activeWorkspace(ctx: ServiceContext, workspaceId: string): Promise<WorkspaceRow | undefined> {
  const workspace =
    ctx.workspace?.id === workspaceId
      ? ctx.workspace
      : (await controlDb(ctx.config).select().from(workspaces).where(eq(workspaces.id, workspaceId)))[0];
  return workspace?.status === "active" ? workspace : undefined;
}

/**
 * The fast path after a commit that wrote outbox events: dispatch them now, after the response.
 * If the Worker is cut off first, or the queue refuses, the events (or their pending deliveries)
 * wait for the scheduled sweep; nothing here can lose them.
 */
export function dispatchAfterCommit(ctx: ServiceContext, workspaceId: string): void {
  ctx.waitUntil(
    (async () => {
      const workspace = await activeWorkspace(ctx, workspaceId);
      if (workspace) await dispatchOutbox(ctx, workspace, await tenantDb(ctx.config, workspace));
    })().catch((error: unknown) =>
      ctx.logger.warn("webhook dispatch deferred to the sweep", { error: errorText(error) }),
    ),
  );
}

/**
 * Events of changes made outside the tenant database (keys, members in the control database; a
 * function's failure): written to the outbox after that change, then dispatched. A change in the
 * tenant database writes its events in its own transaction instead (`outboxStatements`).
 */
export function emitWebhookEvents(ctx: ServiceContext, workspaceId: string, events: OutboxEvent[]): void {
  if (events.length === 0) return;
  ctx.waitUntil(
    (async () => {
      const workspace = await activeWorkspace(ctx, workspaceId);
      if (!workspace) return;
      const db = await tenantDb(ctx.config, workspace);
      try {
        await db.batch(outboxStatements(events), "write");
      } catch (error) {
        // A tenant not yet migrated to the outbox has no endpoint to announce to.
        if (/no such table/i.test(String(error))) return;
        throw error;
      }
      await dispatchOutbox(ctx, workspace, db);
    })().catch((error: unknown) =>
      ctx.logger.error("webhook events could not be recorded", { error: errorText(error) }),
    ),
  );
}

export const emitWebhookEvent = (
  ctx: ServiceContext,
  workspaceId: string,
  type: WebhookEvent,
  data: Record<string, unknown>,
) => emitWebhookEvents(ctx, workspaceId, [{ type, data }]);

/**
 * A delivery to one endpoint outside the outbox (`webhook.test`, sent to an endpoint whether or
 * not it subscribes): recorded as pending, then queued; the sweep re-sends it if the send fails.
 */
export async function enqueueTestDelivery(
  ctx: ServiceContext,
  workspaceId: string,
  db: Client,
  endpoint: Endpoint,
  type: WebhookEvent,
  data: Record<string, unknown>,
): Promise<string> {
  const now = Date.now();
  const id = newId("whd");
  await db.execute({
    sql: `INSERT INTO _islet_webhook_deliveries
          (id, endpoint_id, event_type, payload, created_at, updated_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    args: [
      id,
      endpoint.id,
      type,
      JSON.stringify({ type, timestamp: new Date(now).toISOString(), data: redact(data) }),
      now,
      now,
      now,
    ],
  });
  // Recorded as pending first: a send that fails is the sweep's to repeat, not the caller's error.
  await sendDeliveries(ctx, workspaceId, [id]).catch((error: unknown) =>
    ctx.logger.warn("test delivery left to the sweep", { error: errorText(error) }),
  );
  return id;
}
