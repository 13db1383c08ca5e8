import { z } from "zod";
import type { WorkspaceNeed } from "../core/access";
import { epochMs, workspaceScoped } from "../core/schemas";

export { workspaceScoped } from "../core/schemas";

/** The events an endpoint may subscribe to (architecture §8). */
export const WEBHOOK_EVENTS = [
  "row.created",
  "row.updated",
  "row.deleted",
  "key.created",
  "key.revoked",
  "member.added",
  "member.removed",
  "function.failed",
  "webhook.test",
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Webhook endpoints hold signing secrets: admins, or keys with `secrets:write`. */
export const MANAGE_WEBHOOKS = { role: "admin", scope: "secrets:write" } as const satisfies WorkspaceNeed;

/**
 * What an endpoint's creator must be able to read for it to receive each event (architecture §8: an
 * endpoint delivers only what its creator may still read): the need of the verb that reads the
 * same thing — rows (`listRows`, checked per table against a key's allowlist), keys (`listKeys`),
 * members (`listMembers`: people only), functions (`listFunctions`). `webhook.test` is the
 * endpoint's own.
 */
export const EVENT_NEEDS: Record<WebhookEvent, WorkspaceNeed | null> = {
  "row.created": { role: "viewer", scope: "data:read" },
  "row.updated": { role: "viewer", scope: "data:read" },
  "row.deleted": { role: "viewer", scope: "data:read" },
  "key.created": { role: "admin", scope: "keys:manage" },
  "key.revoked": { role: "admin", scope: "keys:manage" },
  "member.added": { role: "viewer", usersOnly: true },
  "member.removed": { role: "viewer", usersOnly: true },
  "function.failed": { role: "viewer", scope: "data:read" },
  "webhook.test": null,
};

/** The need to read one event: its type's, narrowed to the table a row event is about. */
export function eventNeed(type: string, data: unknown): WorkspaceNeed | null {
  const need = EVENT_NEEDS[type as WebhookEvent];
  if (need === undefined) return { role: "owner", usersOnly: true };
  const table = (data as { table?: unknown } | null)?.table;
  return need && type.startsWith("row.") && typeof table === "string" ? { ...need, table } : need;
}

export const webhookId = z.string().regex(/^wh_[0-9a-z]{26}$/, "must be a webhook id");
export const webhookTarget = workspaceScoped.extend({ webhookId });
export const deliveryId = z.string().regex(/^whd_[0-9a-z]{26}$/, "must be a delivery id");
export const deliveryTarget = webhookTarget.extend({ deliveryId });
const events = z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length);

export const createWebhookBody = z.strictObject({
  url: z.string().max(2048),
  events,
  description: z.string().max(500).default(""),
});
export const createWebhookInput = createWebhookBody.extend(workspaceScoped.shape);
export const updateWebhookBody = z
  .strictObject({
    url: z.string().max(2048).optional(),
    events: events.optional(),
    description: z.string().max(500).optional(),
    enabled: z.boolean().optional(),
  })
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: "Nothing to change" });
export const updateWebhookInput = webhookTarget.extend({ changes: updateWebhookBody });

export const Webhook = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.string()),
  description: z.string(),
  enabled: z.boolean(),
  /** Why islet disabled it (sustained failure, or its creator's authority ended), if it did. */
  disabledReason: z.string().nullable(),
  failingSince: epochMs.nullable(),
  createdAt: epochMs,
  updatedAt: epochMs,
});
export type Webhook = z.infer<typeof Webhook>;
/** A new endpoint or a rotated secret: the `whsec_…` secret is shown this once. */
export const WebhookWithSecret = z.object({ webhook: Webhook, secret: z.string() });

export const Delivery = z.object({
  id: z.string(),
  eventType: z.string(),
  status: z.enum(["pending", "succeeded", "failed"]),
  attempts: z.number().int(),
  lastStatus: z.number().int().nullable(),
  lastLatencyMs: z.number().int().nullable(),
  /** The first 1 KiB of the endpoint's last answer. */
  responseExcerpt: z.string().nullable(),
  createdAt: epochMs,
  updatedAt: epochMs,
});
export type Delivery = z.infer<typeof Delivery>;
