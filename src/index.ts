import { buildApp } from "./app";
import type { AppEnv } from "./http/env";
import { runScheduledBackups } from "./services/backups";
import { runScheduledDeletions } from "./services/lifecycle";
import { runScheduledGc } from "./services/operator";
import { runScheduledRetention } from "./services/security-log";
import { deliverWebhooks } from "./services/webhooks/delivery";

export { Gatekeeper } from "../durable-objects/gatekeeper";
export { TenantHub } from "../durable-objects/tenant-hub";

const app = buildApp();

export default {
  fetch: app.fetch,
  // wrangler.toml [[queues.consumers]]: webhook deliveries (architecture §8).
  queue: (batch, env, ctx) => deliverWebhooks(batch, env, ctx),
  // wrangler.toml [triggers] crons: the security log retention purge (architecture §9), and account
  // deletions that stopped midway, finished, and tenants abandoned mid-provisioning collected
  // (architecture §10), and every active workspace's daily backup, deleted ones' backups swept.
  scheduled: (event, env, ctx) =>
    ctx.waitUntil(
      Promise.all([
        runScheduledRetention(env, event.scheduledTime),
        runScheduledDeletions(env),
        runScheduledGc(env),
        runScheduledBackups(env),
      ]),
    ),
} satisfies ExportedHandler<AppEnv["Bindings"]>;
