// The transactional outbox (architecture §8: at-least-once from commit). A change writes its events to
// `_islet_webhook_outbox` in its own transaction; the dispatcher fans each event out to the
// endpoints that may read it (delivery rows) and queues them; the scheduled sweep (./sweep.ts)
// runs the dispatcher again for events a cut-off Worker left, and re-sends deliveries that stayed
// pending with no message due to attempt them.
import type { Client, InStatement } from "@libsql/client/web";
import { asc } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { type WorkspaceRow, webhookWorkspaces } from "../../db/control/schema";
import { systemDb } from "../../db/tenant/client";
import { webhookOutbox, webhooks } from "../../db/tenant/schema";
import { withDeadline } from "../../lib/deadline";
import { derivedId, newId } from "../../lib/ids";
import { redact } from "../../lib/logger";
import type { ServiceContext } from "../core/context";
import type { WebhookEvent } from "./schemas";
import { type EndpointStanding, endpointStanding } from "./standing";

/** Handing a message to the queue at most this long. */
export const QUEUE_SEND_MS = 2_000;
/** Queues take at most 100 messages per send; the dispatcher fans out as many events per round. */
const BATCH = 100;
/** Rounds per dispatch: a backlog beyond 1,000 events is left to the next dispatch or sweep. */
const MAX_ROUNDS = 10;

/** What the queue carries: where the delivery is, never its payload or secret. */
export interface DeliveryMessage {
  workspaceId: string;
  deliveryId: string;
}

export interface OutboxEvent {
  type: WebhookEvent;
  data: Record<string, unknown>;
}

/**
 * The statements that write `events` to the outbox, to run in the transaction of the change they
 * announce. An event that no enabled endpoint subscribes to is not written (the check runs inside
 * the transaction, so an endpoint made at the same time either sees the event or came after it).
 * Payloads carry ids and changed fields; the log's redaction is a second line of defence, so a
 * field named like a credential (a row's `api_token` column, say) is stored as "[redacted]".
 */
export function outboxStatements(events: OutboxEvent[], now = Date.now()): InStatement[] {
  return events.map(({ type, data }) => ({
    sql: `INSERT INTO _islet_webhook_outbox (id, event_type, data, created_at)
          SELECT ?, ?, ?, ? WHERE EXISTS (
            SELECT 1 FROM _islet_webhooks w, json_each(w.events) e WHERE w.enabled = 1 AND e.value = ?)`,
    args: [newId("evt"), type, JSON.stringify(redact(data)), now, type],
  }));
}

// Workspaces this isolate has registered for the sweep (an endpoint made before the registry
// existed is registered by its first dispatch): one control write per workspace per isolate.
const registered = new Set<string>();

/** Puts the workspace on the sweep's list; called before an endpoint is made or enabled. */
export async function registerForSweep(ctx: ServiceContext, workspaceId: string): Promise<void> {
  const now = Date.now();
  await controlDb(ctx.config)
    .insert(webhookWorkspaces)
    .values({ workspaceId, registeredAt: now })
    .onConflictDoUpdate({ target: webhookWorkspaces.workspaceId, set: { registeredAt: now } });
  registered.add(workspaceId);
}

/** Queues deliveries already recorded as pending; a failed send leaves them to the sweep. */
export async function sendDeliveries(ctx: ServiceContext, workspaceId: string, ids: string[]): Promise<void> {
  const queue = ctx.env.WEBHOOKS;
  if (!queue) throw new Error("no WEBHOOKS queue binding");
  for (let start = 0; start < ids.length; start += BATCH) {
    const body = ids
      .slice(start, start + BATCH)
      .map((deliveryId) => ({ body: { workspaceId, deliveryId } satisfies DeliveryMessage }));
    await withDeadline("queue", QUEUE_SEND_MS, () => queue.sendBatch(body));
  }
}

/**
 * Fans the outbox out, oldest event first: for each event, one delivery per enabled, subscribed
 * endpoint whose creator may read it now; the deliveries are inserted and the events deleted in
 * one batch, then queued. A delivery's id is derived from its event and endpoint, so a dispatch
 * repeated after a crash (or racing another) makes no second delivery, and only the dispatch that
 * inserted a delivery queues it. Returns how many deliveries it made.
 */
export async function dispatchOutbox(
  ctx: ServiceContext,
  workspace: WorkspaceRow,
  db: Client,
): Promise<number> {
  if (!ctx.env.WEBHOOKS) {
    // Nothing is lost: the events stay in the outbox for a dispatch that can queue them.
    ctx.logger.error("webhook events not dispatched: no WEBHOOKS queue binding");
    return 0;
  }
  const standings = new Map<string, Promise<EndpointStanding>>();
  let made = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const events = await systemDb(db)
      .select()
      .from(webhookOutbox)
      .orderBy(asc(webhookOutbox.seq))
      .limit(BATCH);
    const last = events.at(-1);
    if (!last) break;
    if (!registered.has(workspace.id)) await registerForSweep(ctx, workspace.id);
    const endpoints = await systemDb(db).select().from(webhooks);
    const now = Date.now();
    const rows: InStatement[] = [];
    const ids: string[] = [];
    for (const event of events) {
      const data = JSON.parse(event.data) as Record<string, unknown>;
      const payload = JSON.stringify({
        type: event.eventType,
        timestamp: new Date(event.createdAt).toISOString(),
        data,
      });
      for (const endpoint of endpoints) {
        if (endpoint.enabled !== 1 || !(JSON.parse(endpoint.events) as string[]).includes(event.eventType))
          continue;
        // Its creator as they stand now: an endpoint never receives what they could not read.
        let standing = standings.get(endpoint.id);
        if (!standing) {
          standing = endpointStanding(ctx, workspace, endpoint);
          standings.set(endpoint.id, standing);
        }
        const stands = await standing;
        if (!stands.ok || !(await stands.reads(event.eventType, data))) continue;
        const id = await derivedId("whd", event.id, endpoint.id);
        ids.push(id);
        rows.push({
          sql: `INSERT OR IGNORE INTO _islet_webhook_deliveries
                (id, endpoint_id, event_type, payload, created_at, updated_at, event_seq, next_attempt_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          args: [id, endpoint.id, event.eventType, payload, now, now, event.seq, now],
        });
      }
    }
    const results = await db.batch(
      [...rows, { sql: "DELETE FROM _islet_webhook_outbox WHERE seq <= ?", args: [last.seq] }],
      "write",
    );
    const inserted = ids.filter((_, i) => results[i]?.rowsAffected === 1);
    made += inserted.length;
    await sendDeliveries(ctx, workspace.id, inserted);
    if (events.length < BATCH) break;
  }
  return made;
}
