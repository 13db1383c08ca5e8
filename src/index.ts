import { buildApp } from "./app";
import type { AppEnv } from "./http/env";
import { runScheduledBackups } from "./services/backups";
import { runScheduledDeletions } from "./services/lifecycle";
import { runScheduledGc } from "./services/operator";
import { runScheduledRetention } from "./services/security-log";
import { runScheduledWebhookSweep } from "./services/webhooks";
import { deliverWebhooks } from "./services/webhooks/delivery";

export { Gatekeeper } from "../durable-objects/gatekeeper";
export { TenantHub } from "../durable-objects/tenant-hub";

const app = buildApp();

/** The daily trigger in wrangler.toml; the other runs every 5 minutes. */
const DAILY_CRON = "17 3 * * *";

export default {
  fetch: app.fetch,
  // wrangler.toml [[queues.consumers]]: webhook deliveries (architecture §8).
  queue: (batch, env, ctx) => deliverWebhooks(batch, env, ctx),
  // wrangler.toml [triggers] crons. Every trigger runs the webhook sweep (architecture §8: what stayed
  // pending is sent again) and continues the day's backups, a bounded batch at a time. The daily
  // one also runs the security log retention purge (architecture §9), finishes account deletions that
  // stopped midway and collects tenants abandoned mid-provisioning (architecture §10), sweeps deleted
  // workspaces' backups, and purges the webhook delivery log past its retention.
  scheduled: (event, env, ctx) => {
    const daily = event.cron === DAILY_CRON;
    ctx.waitUntil(
      Promise.all([
        runScheduledWebhookSweep(env, event.scheduledTime, daily),
        // Each run takes a bounded batch of the day's backups; the daily one also sweeps orphans.
        runScheduledBackups(env, { now: event.scheduledTime, daily }),
        ...(daily
          ? [runScheduledRetention(env, event.scheduledTime), runScheduledDeletions(env), runScheduledGc(env)]
          : []),
      ]),
    );
  },
} satisfies ExportedHandler<AppEnv["Bindings"]>;
