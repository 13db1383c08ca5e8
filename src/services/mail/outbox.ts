import { and, desc, eq, gte } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { devOutbox } from "../../db/control/schema";
import { isLoopback } from "../../lib/address";
import { ApiError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { parseInput, type ServiceArgs, type ServiceContext } from "../core/context";
import type { MailConfig, Mailer } from "./index";
import { type OutboxMessage, readOutboxInput } from "./schemas";

/** The outbox exists only outside production and only when it is the configured provider. */
export const devOutboxEnabled = (ctx: ServiceContext) =>
  ctx.config.ENVIRONMENT !== "production" && (ctx.env.MAIL_PROVIDER ?? "outbox") === "outbox";

/** Writes mail to the control DB's `dev_outbox` instead of sending it. */
export function outboxMailer(ctx: ServiceContext, config: MailConfig): Mailer {
  return {
    kind: "outbox",
    async send(message) {
      if (ctx.config.ENVIRONMENT === "production") throw new Error("the dev outbox is not for production");
      await controlDb(ctx.config)
        .insert(devOutbox)
        .values({
          id: newId("mail"),
          ts: Date.now(),
          toAddr: message.to,
          fromAddr: config.MAIL_FROM,
          subject: message.subject,
          textBody: message.text,
          tag: message.tag,
        });
    },
  };
}

/** The newest messages to one address (tests and local development only). */
function servedOnLoopback(publicUrl: string): boolean {
  const host = new URL(publicUrl).hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || isLoopback(host);
}

export async function readOutbox({
  ctx,
  input: raw,
}: ServiceArgs<{ to: string; since?: number; limit?: number }>): Promise<OutboxMessage[]> {
  const input = parseInput(readOutboxInput, raw);
  // Reading other people's mail is for a developer on this machine only: insecure-local mode and
  // a loopback caller (or islet's own code). Anything else gets the same 404 as production.
  // `CF-Connecting-IP` is the client's word under wrangler dev, so the platform itself must be
  // served on loopback too (a dev server bound to a shared address does not open the outbox).
  const local =
    ctx.config.ISLET_INSECURE_LOCAL &&
    (ctx.actor.type === "system" || (isLoopback(ctx.ip) && servedOnLoopback(ctx.config.PUBLIC_URL)));
  if (!devOutboxEnabled(ctx) || !local) throw new ApiError("not_found", "Not found");
  const rows = await controlDb(ctx.config)
    .select()
    .from(devOutbox)
    .where(and(eq(devOutbox.toAddr, input.to), gte(devOutbox.ts, input.since ?? 0)))
    .orderBy(desc(devOutbox.ts), desc(devOutbox.id))
    .limit(input.limit ?? 20);
  return rows.map((r) => ({
    id: r.id,
    ts: r.ts,
    to: r.toAddr,
    from: r.fromAddr,
    subject: r.subject,
    text: r.textBody,
    tag: r.tag,
  }));
}
