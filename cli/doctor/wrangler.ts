// What wrangler.toml must bind for a deploy: the Durable Objects, the webhook queue and its dead
// letters, the cron trigger, and a compatibility date the pinned workerd has been tested with.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { root } from "../context";
import { type DoctorRow, fail, pass } from "./rows";

/** The newest compatibility date the pinned workerd (and so the test suite) runs. */
export const MAX_COMPATIBILITY_DATE = "2026-11-01";

export type Wrangler = Record<string, unknown>;

/** The wrangler.toml section a deploy with `--env <env>` uses (bindings are not inherited). */
function section(toml: Wrangler, env: string | undefined): Wrangler {
  if (!env) return toml;
  const envs = (toml.env ?? {}) as Record<string, Wrangler>;
  return envs[env] ?? {};
}

export function readWrangler(path = join(root, "wrangler.toml")): Wrangler {
  return parseToml(readFileSync(path, "utf8")) as Wrangler;
}

/** The vars a deploy with `--env <env>` gets from wrangler.toml, under the secrets file's. */
export function wranglerVars(toml: Wrangler, env: string | undefined): Record<string, string> {
  const vars = (section(toml, env).vars ?? {}) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, String(v)]));
}

/** DO, queue and cron bindings and the compatibility date, in the section the deploy uses. */
export function wranglerRows(toml: Wrangler, env: string | undefined, today = new Date()): DoctorRow[] {
  const where = env ? `[env.${env}]` : "wrangler.toml";
  const own = section(toml, env);
  const rows: DoctorRow[] = [];
  const date = String(own.compatibility_date ?? toml.compatibility_date ?? "");
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date))
    rows.push(fail("compatibility date", "missing", `compatibility_date = "${MAX_COMPATIBILITY_DATE}"`));
  else if (date > MAX_COMPATIBILITY_DATE || date > today.toISOString().slice(0, 10))
    rows.push(
      fail(
        "compatibility date",
        `${date} is newer than the tested ${MAX_COMPATIBILITY_DATE}`,
        `compatibility_date = "${MAX_COMPATIBILITY_DATE}"`,
      ),
    );
  else rows.push(pass("compatibility date", date));
  const flags = (own.compatibility_flags ?? toml.compatibility_flags ?? []) as string[];
  rows.push(
    flags.includes("nodejs_compat")
      ? pass("nodejs_compat flag")
      : fail("nodejs_compat flag", "missing", 'compatibility_flags = ["nodejs_compat"]'),
  );
  const objects = ((
    own.durable_objects as { bindings?: { name?: string; class_name?: string }[] } | undefined
  )?.bindings ?? []) as { name?: string; class_name?: string }[];
  const migrated = ((toml.migrations ?? []) as { new_sqlite_classes?: string[] }[]).flatMap(
    (m) => m.new_sqlite_classes ?? [],
  );
  for (const [name, className] of [
    ["GATEKEEPER", "Gatekeeper"],
    ["TENANT_HUB", "TenantHub"],
  ] as const) {
    const bound = objects.some((b) => b.name === name && b.class_name === className);
    rows.push(
      !bound
        ? fail(
            `Durable Object ${name}`,
            `not bound in ${where}`,
            `[[${env ? `env.${env}.` : ""}durable_objects.bindings]] name = "${name}" class_name = "${className}"`,
          )
        : !migrated.includes(className)
          ? fail(
              `Durable Object ${name}`,
              `${className} has no [[migrations]] entry`,
              `[[migrations]] new_sqlite_classes = ["${className}"]`,
            )
          : pass(`Durable Object ${name}`, className),
    );
  }
  const queues = (own.queues ?? {}) as {
    producers?: { binding?: string; queue?: string }[];
    consumers?: { queue?: string; dead_letter_queue?: string }[];
  };
  const producer = queues.producers?.find((p) => p.binding === "WEBHOOKS");
  const consumer = queues.consumers?.find((c) => c.queue === producer?.queue);
  rows.push(
    !producer
      ? fail(
          "queue WEBHOOKS",
          `no producer in ${where}`,
          "npx wrangler queues create islet-webhooks; bind it as WEBHOOKS",
        )
      : !consumer
        ? fail(
            "queue WEBHOOKS",
            `no consumer of ${producer.queue}`,
            "a [[queues.consumers]] entry for the queue",
          )
        : !consumer.dead_letter_queue
          ? fail(
              "queue WEBHOOKS",
              "no dead-letter queue",
              'dead_letter_queue = "islet-webhooks-dlq" (wrangler queues create it)',
            )
          : pass("queue WEBHOOKS", `${producer.queue}, dead letters to ${consumer.dead_letter_queue}`),
  );
  const crons = ((own.triggers ?? toml.triggers) as { crons?: string[] } | undefined)?.crons ?? [];
  rows.push(
    crons.length > 0
      ? pass("cron trigger", crons.join(", "))
      : fail(
          "cron trigger",
          "none: retention, deletions, gc and backups never run",
          '[triggers] crons = ["17 3 * * *"]',
        ),
  );
  return rows;
}
