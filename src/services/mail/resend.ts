import type { ServiceContext } from "../core/context";
import type { MailConfig, Mailer } from "./index";

const SEND_TIMEOUT_MS = 10_000;

/**
 * Resend's API (resend.com/docs/api-reference/emails/send-email): `POST /emails` with
 * `Authorization: Bearer <key>` and `{from, to, subject, text}`. Failures throw without the
 * provider's body (it may echo addresses or content).
 */
export function resendMailer(ctx: ServiceContext, config: MailConfig): Mailer {
  return {
    kind: "resend",
    async send(message) {
      const res = await fetch(new URL("/emails", config.MAIL_API_URL), {
        method: "POST",
        headers: {
          Authorization: `Bearer ${config.MAIL_API_KEY}`,
          "Content-Type": "application/json",
          // Resend de-duplicates retries of the same request for 24 hours.
          "Idempotency-Key": `${ctx.requestId}-${message.tag}`,
        },
        body: JSON.stringify({
          from: config.MAIL_FROM,
          to: [message.to],
          subject: message.subject,
          text: message.text,
          tags: [{ name: "kind", value: message.tag }],
        }),
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
        // The API key goes to the configured origin only: a redirect is a failure, never followed.
        redirect: "manual",
      });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`mail provider answered ${res.status}`);
    },
  };
}
