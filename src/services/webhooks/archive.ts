// Webhook endpoints in the workspace archive (src/services/core/archive.ts): one `webhook` line
// each, without its signing secret. An import makes each through `createWebhook` with a new secret,
// returned this once, and disables again those the archive had disabled.
import { z } from "zod";
import { type ArchiveSection, deleteMade } from "../core/archive";
import { checkedTargetUrl } from "../outbound";
import { createWebhook, listWebhooks, updateWebhook } from ".";
import { createWebhookBody, Webhook } from "./schemas";

const webhookLine = z.object({
  type: z.literal("webhook"),
  webhook: z.object({ ...createWebhookBody.shape, enabled: z.boolean().default(true) }),
});
type Line = z.infer<typeof webhookLine>;
const Made = z.object({ webhook: Webhook, secret: z.string() });

export const webhooksArchive: ArchiveSection<Line, Line["webhook"][], { webhooks: z.infer<typeof Made>[] }> =
  {
    lines: { webhook: webhookLine },
    limit: 100,
    noun: "webhooks",
    async *export(ctx, workspaceId) {
      for (const webhook of await listWebhooks({ ctx, input: { workspaceId } }))
        yield { type: "webhook", webhook };
    },
    plan() {
      const webhooks: Line["webhook"][] = [];
      return { add: (line) => void webhooks.push(line.webhook), done: () => webhooks };
    },
    held: { table: "_islet_webhooks" },
    async precheck({ ctx }, plan) {
      for (const webhook of plan) await checkedTargetUrl(ctx.config, "url", webhook.url);
    },
    async apply({ ctx, access }, plan, made) {
      const workspaceId = access.workspace.id;
      const webhooks: z.infer<typeof Made>[] = [];
      for (const { enabled, ...webhook } of plan) {
        const created = await createWebhook({ ctx, input: { workspaceId, ...webhook } });
        made.push(created.webhook.id);
        if (!enabled) {
          created.webhook = await updateWebhook({
            ctx,
            input: { workspaceId, webhookId: created.webhook.id, changes: { enabled: false } },
          });
        }
        webhooks.push(created);
      }
      return { webhooks };
    },
    undo: { statements: deleteMade("_islet_webhooks", "id") },
    /** Each endpoint with its new signing secret, shown this once. */
    result: { webhooks: z.array(Made) },
    audited: (result) => ({ webhooks: result.webhooks.length }),
  };
