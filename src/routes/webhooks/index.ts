import { z } from "@hono/zod-openapi";
import { json, jsonBody, named, noContent, operation, router, securityOf } from "../../http/openapi";
import { workspaceParam } from "../../http/params";
import { shownOnce } from "../../services/core/schemas";
import {
  createWebhook,
  createWebhookBody,
  Delivery,
  deleteWebhook,
  deliveryId,
  getWebhook,
  listDeliveries,
  listWebhooks,
  MANAGE_WEBHOOKS,
  redeliver,
  rotateWebhookSecret,
  testWebhook,
  updateWebhook,
  updateWebhookBody,
  Webhook,
  WebhookWithSecret,
  webhookId,
} from "../../services/webhooks";

const Hook = named(Webhook, "Webhook");
const WithSecret = named(
  WebhookWithSecret.extend({ secret: shownOnce("The endpoint's whsec_ signing secret") }),
  "WebhookWithSecret",
);
const idParam = workspaceParam.extend({ webhookId });
const queued = json(z.object({ deliveryId: z.string() }), "Queued for delivery");
const tags = ["Webhooks"];
const security = securityOf(MANAGE_WEBHOOKS);

/** Webhook endpoints (Standard Webhooks), under /v1/workspaces/:workspaceId/webhooks. */
export const webhooksRoutes = router()
  .openapi(
    operation({
      operationId: "createWebhook",
      method: "post",
      path: "/",
      idempotency: { shownOnce: ["secret"] },
      tags,
      security,
      summary: "Register an endpoint; its whsec_ secret is shown this once",
      request: {
        params: workspaceParam,
        body: jsonBody(createWebhookBody, true, {
          url: "https://example.com/hooks/islet",
          events: ["row.created"],
        }),
      },
      responses: { 201: json(WithSecret, "The endpoint and its secret") },
    }),
    async (c) => {
      const input = { ...c.req.valid("param"), ...c.req.valid("json") };
      return c.json(await createWebhook({ ctx: c.var.ctx, input }), 201);
    },
  )
  .openapi(
    operation({
      operationId: "listWebhooks",
      method: "get",
      path: "/",
      tags,
      security,
      summary: "List endpoints",
      request: { params: workspaceParam },
      responses: { 200: json(z.object({ webhooks: z.array(Hook) }), "Endpoints") },
    }),
    async (c) =>
      c.json({ webhooks: await listWebhooks({ ctx: c.var.ctx, input: c.req.valid("param") }) }, 200),
  )
  .openapi(
    operation({
      operationId: "getWebhook",
      method: "get",
      path: "/{webhookId}",
      tags,
      security,
      summary: "One endpoint",
      request: { params: idParam },
      responses: { 200: json(z.object({ webhook: Hook }), "The endpoint") },
    }),
    async (c) => c.json({ webhook: await getWebhook({ ctx: c.var.ctx, input: c.req.valid("param") }) }, 200),
  )
  .openapi(
    operation({
      operationId: "updateWebhook",
      method: "patch",
      path: "/{webhookId}",
      tags,
      security,
      summary: "Change an endpoint's URL, events, description, or enable it again",
      request: { params: idParam, body: jsonBody(updateWebhookBody) },
      responses: { 200: json(z.object({ webhook: Hook }), "The endpoint") },
    }),
    async (c) => {
      const input = { ...c.req.valid("param"), changes: c.req.valid("json") };
      return c.json({ webhook: await updateWebhook({ ctx: c.var.ctx, input }) }, 200);
    },
  )
  .openapi(
    operation({
      operationId: "deleteWebhook",
      method: "delete",
      path: "/{webhookId}",
      tags,
      security,
      summary: "Delete an endpoint and its delivery log",
      request: { params: idParam },
      responses: { 204: noContent("Deleted") },
    }),
    async (c) => {
      await deleteWebhook({ ctx: c.var.ctx, input: c.req.valid("param") });
      return c.body(null, 204);
    },
  )
  .openapi(
    operation({
      operationId: "rotateWebhookSecret",
      method: "post",
      path: "/{webhookId}/rotate-secret",
      idempotency: { shownOnce: ["secret"] },
      tags,
      security,
      summary: "A new secret, shown once; the old one keeps signing beside it for 24 h",
      request: { params: idParam },
      responses: { 200: json(WithSecret, "The endpoint and its new secret") },
    }),
    async (c) => c.json(await rotateWebhookSecret({ ctx: c.var.ctx, input: c.req.valid("param") }), 200),
  )
  .openapi(
    operation({
      operationId: "testWebhook",
      method: "post",
      path: "/{webhookId}/test",
      tags,
      security,
      summary: "Send a webhook.test event to this endpoint",
      request: { params: idParam },
      responses: { 202: queued },
    }),
    async (c) => c.json(await testWebhook({ ctx: c.var.ctx, input: c.req.valid("param") }), 202),
  )
  .openapi(
    operation({
      operationId: "listWebhookDeliveries",
      method: "get",
      path: "/{webhookId}/deliveries",
      tags,
      security,
      summary: "The endpoint's delivery log, newest first (100)",
      request: { params: idParam },
      responses: {
        200: json(z.object({ deliveries: z.array(named(Delivery, "WebhookDelivery")) }), "Deliveries"),
      },
    }),
    async (c) =>
      c.json({ deliveries: await listDeliveries({ ctx: c.var.ctx, input: c.req.valid("param") }) }, 200),
  )
  .openapi(
    operation({
      operationId: "redeliverWebhook",
      method: "post",
      path: "/{webhookId}/deliveries/{deliveryId}/redeliver",
      tags,
      security,
      summary: "Send a past delivery again",
      request: { params: idParam.extend({ deliveryId }) },
      responses: { 202: queued },
    }),
    async (c) => c.json(await redeliver({ ctx: c.var.ctx, input: c.req.valid("param") }), 202),
  );
