// The dev outbox: on a local stack, the mail islet would have sent, with its links to this
// deployment clickable.
import { Hono } from "hono";
import type { AppEnv } from "../../http/env";
import { readOutbox } from "../../services/mail";
import { Field, type PageContext } from "../kit";
import { render, when } from "../layout";

export const outboxPages = new Hono<AppEnv>().get("/dev/outbox", async (c) => {
  const to = c.req.query("to");
  const messages = to ? await readOutbox({ ctx: c.var.ctx, input: { to } }) : [];
  // Reached only on a local stack: readOutbox answers 404 anywhere else.
  if (!to) await readOutbox({ ctx: c.var.ctx, input: { to: "probe@localhost.invalid" } });
  return render(
    c,
    { title: "Dev outbox" },
    <>
      <h1>Dev outbox</h1>
      <p class="muted">Local stacks only: the mail islet would have sent.</p>
      <form method="get" action="/dev/outbox" class="stack">
        <Field label="Address" name="to" type="email" value={to} required />
        <button type="submit">Show mail</button>
      </form>
      {messages.map((m) => (
        <article>
          <h2>{m.subject}</h2>
          <p class="muted">
            {when(m.ts)} · to {m.to}
          </p>
          <pre class="out">{m.text}</pre>
          {linksIn(c, m.text).map((href) => (
            <p>
              <a href={href}>{href}</a>
            </p>
          ))}
        </article>
      ))}
    </>,
  );
});

/** Links in a mail that point at this deployment: the only ones the outbox makes clickable. */
function linksIn(c: PageContext, text: string): string[] {
  const origin = new URL(c.get("config").PUBLIC_URL).origin;
  return [...text.matchAll(/https?:\/\/[^\s<>"']+/g)]
    .map(([url]) => url)
    .filter((url) => {
      try {
        return new URL(url).origin === origin;
      } catch {
        return false;
      }
    });
}
