import { and, eq, isNull } from "drizzle-orm";
import { z } from "zod";
import { type Bindings, parseConfig } from "../../config";
import { controlDb } from "../../db/control/client";
import { memberships, users, workspaces } from "../../db/control/schema";
import { systemDb, tenantDb } from "../../db/tenant/client";
import { webhookDeliveries, webhooks } from "../../db/tenant/schema";
import { decryptSecret, importKeyring, secretBinding } from "../../lib/crypto";
import { newId } from "../../lib/ids";
import { createLogger } from "../../lib/logger";
import { guardedFetch, outboundPolicy } from "../../lib/outbound";
import { SandboxBudget } from "../../sandbox/budget";
import type { ServiceContext } from "../core/context";
import { mailerFor } from "../mail";
import { signWebhook } from "./signing";
import { endpointStanding } from "./standing";

/**
 * Seconds before each attempt (architecture §8): immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
 * After the last, the delivery is failed (and stays in the log for a manual redelivery).
 */
export const RETRY_SCHEDULE_S = [0, 5, 300, 1800, 7200, 18000, 36000, 36000];
export const ATTEMPT_TIMEOUT_MS = 15_000;
/** An endpoint failing this long is disabled and its workspace's owners are emailed. */
export const DISABLE_AFTER_MS = 5 * 86_400_000;
const EXCERPT_CHARS = 1024;

const message = z.object({ workspaceId: z.string().max(64), deliveryId: z.string().max(64) });

function systemContext(env: Bindings, waitUntil: (p: Promise<unknown>) => void): ServiceContext | undefined {
  const parsed = parseConfig(env);
  if (!parsed.ok) return undefined;
  const requestId = newId("req");
  return {
    env,
    config: parsed.config,
    actor: { type: "system", reason: "webhook delivery" },
    requestId,
    ip: null,
    userAgent: null,
    logger: createLogger({ requestId, worker: "webhooks" }),
    waitUntil,
    sandboxBudget: new SandboxBudget(),
  };
}

/** The queue consumer: one attempt per message, retried on the schedule by the queue itself. */
export async function deliverWebhooks(
  batch: MessageBatch<unknown>,
  env: Bindings,
  executionCtx: ExecutionContext,
): Promise<void> {
  const ctx = systemContext(env, (p) => executionCtx.waitUntil(p));
  for (const msg of batch.messages) {
    const body = message.safeParse(msg.body);
    if (!body.success) {
      msg.ack();
      continue;
    }
    if (!ctx) {
      // A misconfigured deployment delivers nothing, and loses nothing: try again later.
      msg.retry({ delaySeconds: 60 });
      continue;
    }
    try {
      const next = await attempt(ctx, body.data.workspaceId, body.data.deliveryId);
      if (next === undefined) msg.ack();
      else msg.retry({ delaySeconds: next });
    } catch (error) {
      ctx.logger.error("webhook delivery errored", {
        error: error instanceof Error ? error.message : String(error),
      });
      msg.retry({ delaySeconds: 60 });
    }
  }
}

/** One attempt. Returns the delay before the next one, or undefined when the delivery is settled. */
async function attempt(
  ctx: ServiceContext,
  workspaceId: string,
  deliveryId: string,
): Promise<number | undefined> {
  const [workspace] = await controlDb(ctx.config)
    .select()
    .from(workspaces)
    .where(eq(workspaces.id, workspaceId));
  if (workspace?.status !== "active") return undefined;
  const db = await tenantDb(ctx.config, workspace);
  const [delivery] = await systemDb(db)
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.id, deliveryId));
  if (delivery?.status !== "pending") return undefined;
  const [endpoint] = await systemDb(db).select().from(webhooks).where(eq(webhooks.id, delivery.endpointId));
  const now = Date.now();
  if (endpoint?.enabled !== 1) {
    await settle(db, deliveryId, {
      status: "failed",
      attempts: delivery.attempts,
      excerpt: "endpoint disabled or deleted",
    });
    return undefined;
  }
  // The creator's authority is checked before every attempt: a cleanup that was missed (a key that
  // expired, a member removed while the tenant database was unreachable) still sends nothing.
  const standing = await endpointStanding(ctx, workspace, endpoint);
  const refused = !standing.ok
    ? standing.reason
    : (await standing.reads(delivery.eventType, deliveryData(delivery.payload)))
      ? null
      : "its creator may no longer read this event";
  if (refused !== null) {
    await settle(db, deliveryId, {
      status: "failed",
      attempts: delivery.attempts,
      excerpt: `not sent: ${refused}`,
    });
    return undefined;
  }
  const keyring = await importKeyring(ctx.config.ISLET_KEYRING);
  const binding = secretBinding("webhook_secret", workspaceId, endpoint.id);
  const secrets = [await decryptSecret(keyring, endpoint.secretEnc, binding)];
  if (endpoint.previousSecretEnc && (endpoint.previousUntil ?? 0) > now) {
    secrets.push(await decryptSecret(keyring, endpoint.previousSecretEnc, binding));
  }
  const timestamp = Math.floor(now / 1000);
  const started = performance.now();
  let status: number | null = null;
  let excerpt: string;
  try {
    const res = await guardedFetch(
      endpoint.url,
      {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "User-Agent": "islet-webhooks/1",
          // Standard Webhooks: the id is the same on every attempt, so receivers can deduplicate.
          "webhook-id": delivery.id,
          "webhook-timestamp": String(timestamp),
          "webhook-signature": await signWebhook(secrets, delivery.id, timestamp, delivery.payload),
        },
        body: delivery.payload,
        timeoutMs: ATTEMPT_TIMEOUT_MS,
        maxBytes: 256 * 1024,
        // A delivery goes to the registered origin only: a redirect elsewhere is a failed attempt.
        credentialHeaders: ["webhook-signature"],
      },
      outboundPolicy(ctx.config),
    );
    status = res.status;
    excerpt = (await res.text()).slice(0, EXCERPT_CHARS);
  } catch (error) {
    excerpt = error instanceof Error ? error.message.slice(0, EXCERPT_CHARS) : "delivery failed";
  }
  const latency = Math.round(performance.now() - started);
  const attempts = delivery.attempts + 1;
  if (status !== null && status >= 200 && status < 300) {
    await settle(db, deliveryId, { status: "succeeded", attempts, lastStatus: status, latency, excerpt });
    await db.execute({
      sql: "UPDATE _islet_webhooks SET failing_since = NULL WHERE id = ?",
      args: [endpoint.id],
    });
    return undefined;
  }
  const more = attempts < RETRY_SCHEDULE_S.length;
  const delay = more ? (RETRY_SCHEDULE_S[attempts] as number) : undefined;
  await settle(db, deliveryId, {
    status: more ? "pending" : "failed",
    attempts,
    lastStatus: status,
    latency,
    excerpt,
    // When the queue's retry is due: the sweep leaves the delivery to it until then.
    nextAttemptAt: delay === undefined ? null : Date.now() + delay * 1000,
  });
  await noteFailure(ctx, db, workspace.name, workspaceId, endpoint, now);
  return delay;
}

/** The `data` of a stored payload (`{ type, timestamp, data }`), for the check of who may read it. */
function deliveryData(payload: string): unknown {
  try {
    return (JSON.parse(payload) as { data?: unknown }).data;
  } catch {
    return undefined;
  }
}

async function settle(
  db: Awaited<ReturnType<typeof tenantDb>>,
  id: string,
  outcome: {
    status: "pending" | "succeeded" | "failed";
    attempts: number;
    lastStatus?: number | null;
    latency?: number;
    excerpt: string;
    nextAttemptAt?: number | null;
  },
): Promise<void> {
  await db.execute({
    sql: `UPDATE _islet_webhook_deliveries SET status = ?, attempts = ?, last_status = ?, last_latency_ms = ?,
          response_excerpt = ?, updated_at = ?, next_attempt_at = ? WHERE id = ?`,
    args: [
      outcome.status,
      outcome.attempts,
      outcome.lastStatus ?? null,
      outcome.latency ?? null,
      outcome.excerpt,
      Date.now(),
      outcome.nextAttemptAt ?? null,
      id,
    ],
  });
}

/** Starts an endpoint's failure clock; past DISABLE_AFTER_MS it is disabled and owners are told. */
async function noteFailure(
  ctx: ServiceContext,
  db: Awaited<ReturnType<typeof tenantDb>>,
  workspaceName: string,
  workspaceId: string,
  endpoint: typeof webhooks.$inferSelect,
  now: number,
): Promise<void> {
  const since = endpoint.failingSince ?? now;
  if (endpoint.failingSince === null) {
    await db.execute({
      sql: "UPDATE _islet_webhooks SET failing_since = ? WHERE id = ? AND failing_since IS NULL",
      args: [now, endpoint.id],
    });
  }
  if (now - since < DISABLE_AFTER_MS) return;
  const disabled = await db.execute({
    sql: "UPDATE _islet_webhooks SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ? AND enabled = 1",
    args: ["failing for 5 days", now, endpoint.id],
  });
  if (disabled.rowsAffected !== 1) return;
  const owners = await controlDb(ctx.config)
    .select({ email: users.email })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(
      and(eq(memberships.workspaceId, workspaceId), eq(memberships.role, "owner"), isNull(users.deletedAt)),
    );
  const mailer = mailerFor(ctx);
  for (const owner of owners) {
    await mailer.send({
      to: owner.email,
      subject: `islet: a webhook endpoint of ${workspaceName.replace(/[\r\n]+/g, " ").slice(0, 100)} was disabled`,
      text: [
        `The webhook endpoint ${endpoint.id} (${endpoint.url}) of your workspace "${workspaceName}" has failed`,
        "every delivery for 5 days, so islet has disabled it. Its delivery log shows the answers it gave.",
        'Fix the receiver, then re-enable the endpoint (PATCH …/webhooks/:id { "enabled": true }).',
      ].join("\n"),
      tag: "webhook_disabled",
    });
  }
}
