import { z } from "zod";
import type { Config } from "../../config";
import { ApiError } from "../../lib/errors";
import type { ServiceContext } from "../core/context";
import { outboxMailer } from "./outbox";
import { resendMailer } from "./resend";

/** One email. `tag` names its kind (`verify_email`, `password_reset`, …) for logs and tests. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  tag: string;
}

/** How islet sends mail: the dev outbox (tests, local) or an HTTP provider (production). */
export interface Mailer {
  readonly kind: "outbox" | "resend";
  send(message: MailMessage): Promise<void>;
}

/**
 * Mail settings, read from the Worker's vars and secrets:
 * `MAIL_PROVIDER` outbox | resend (default outbox outside production), `MAIL_API_URL`
 * (default https://api.resend.com), `MAIL_API_KEY` (secret), `MAIL_FROM`.
 */
const mailConfigSchema = z.object({
  MAIL_PROVIDER: z.enum(["outbox", "resend"]).optional(),
  MAIL_API_URL: z.url().default("https://api.resend.com"),
  MAIL_API_KEY: z.string().min(1).optional(),
  MAIL_FROM: z.string().min(3).default("islet <no-reply@islet.localhost>"),
});
export type MailConfig = z.output<typeof mailConfigSchema> & { MAIL_PROVIDER: "outbox" | "resend" };

const cache = new WeakMap<object, MailConfig | string>();

/**
 * Fail closed: production mails for real, over HTTPS, with a key. The settings, or the problem
 * with them (never a value); `islet doctor` reports the same.
 */
export function resolveMailConfig(env: object, config: Config): MailConfig | string {
  const parsed = mailConfigSchema.safeParse(env);
  const production = config.ENVIRONMENT === "production";
  if (!parsed.success)
    return `mail settings invalid: ${parsed.error.issues.map((i) => i.path.join(".")).join(", ")}`;
  const provider = parsed.data.MAIL_PROVIDER ?? (production ? "resend" : "outbox");
  const mail = { ...parsed.data, MAIL_PROVIDER: provider };
  if (production && provider === "outbox") return "MAIL_PROVIDER=outbox is refused in production";
  if (provider === "resend" && !mail.MAIL_API_KEY) return "MAIL_API_KEY is missing";
  if (
    provider === "resend" &&
    !mail.MAIL_API_URL.startsWith("https://") &&
    !(config.ISLET_INSECURE_LOCAL && !production)
  )
    return "MAIL_API_URL must be https://";
  return mail;
}

export function mailConfig(ctx: ServiceContext): MailConfig {
  let result = cache.get(ctx.env);
  if (result === undefined) {
    result = resolveMailConfig(ctx.env, ctx.config);
    cache.set(ctx.env, result);
    if (typeof result === "string") ctx.logger.error("mail is misconfigured", { problem: result });
  }
  if (typeof result === "string") throw new ApiError("misconfigured", "Mail delivery is misconfigured");
  return result;
}

export function mailerFor(ctx: ServiceContext): Mailer {
  const config = mailConfig(ctx);
  return config.MAIL_PROVIDER === "outbox" ? outboxMailer(ctx, config) : resendMailer(ctx, config);
}

export { devOutboxEnabled, readOutbox } from "./outbox";
export * from "./schemas";
