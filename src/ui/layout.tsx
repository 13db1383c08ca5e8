// The dashboard's page shell. Hono JSX escapes every interpolated value, so user content (names,
// row values, logs) always renders as text; nothing here builds HTML from strings. The one
// script is an external, hashed, nonce'd module with subresource integrity.
import type { Context } from "hono";
import type { Child, FC, PropsWithChildren } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../http/env";
import { ApiError } from "../lib/errors";
import { assets } from "./assets";
import { type Reveal, takeFlash } from "./flash";
import { CSRF_FIELD } from "./session";

export interface WorkspaceNav {
  id: string;
  name: string;
  role: string;
}

export interface PageOptions {
  title: string;
  /** The workspace whose sections the side navigation shows. */
  workspace?: WorkspaceNav;
  /** Which side-navigation entry is current. */
  section?: string;
  /** A centred single-column page (sign-in flows). */
  narrow?: boolean;
  status?: ContentfulStatusCode;
}

/** Fixed messages a redirect may name (`?notice=`): never text from the URL itself. */
const NOTICES: Record<string, string> = {
  signed_out: "You are signed out.",
  verified: "Your email address is verified.",
  verification_sent: "A new verification email is on its way.",
  reset_sent: "If that address has an account, a reset link is on its way.",
  password_reset: "Your password is changed. Sign in with the new one.",
  password_changed: "Your password is changed; your other sessions were signed out.",
  table_created: "Table created.",
  table_changed: "Table changed.",
  table_dropped: "Table dropped.",
  row_saved: "Row saved.",
  row_deleted: "Row deleted.",
  key_revoked: "Key revoked. It stops working on its next request.",
  member_changed: "Member updated.",
  member_removed: "Member removed.",
  invited: "Invitation sent.",
  invitation_revoked: "Invitation revoked.",
  secret_saved: "Secret saved. Its value will not be shown again.",
  secret_deleted: "Secret deleted.",
  function_saved: "Function saved.",
  function_deleted: "Function deleted.",
  workspace_renamed: "Workspace renamed.",
  workspace_created: "Workspace created.",
  workspace_deleted: "Workspace deleted.",
  workspace_transferred: "Ownership transferred.",
  left: "You left the workspace.",
  session_revoked: "Session signed out.",
  sessions_revoked: "Every other session is signed out.",
  issuer_saved: "Issuer registered.",
  issuer_deleted: "Issuer removed.",
  webhook_saved: "Webhook saved.",
  webhook_deleted: "Webhook deleted.",
  webhook_tested: "Test event queued.",
  redelivered: "Delivery queued again.",
  joined: "You joined the workspace.",
  demo_created: "Demo tables created.",
};

export const noticeText = (id: string | undefined) => (id ? NOTICES[id] : undefined);

/** A redirect after a successful form (303: the browser follows with GET). */
export const done = (c: Context<AppEnv>, path: string, notice?: keyof typeof NOTICES & string) =>
  c.redirect(notice ? `${path}${path.includes("?") ? "&" : "?"}notice=${notice}` : path, 303);

export const Csrf: FC<{ token: string }> = ({ token }) => (
  <input type="hidden" name={CSRF_FIELD} value={token} />
);

/** A POST form with this browser's CSRF token. */
export const PostForm: FC<PropsWithChildren<{ c: Context<AppEnv>; action: string; class?: string }>> = ({
  c,
  action,
  children,
  ...rest
}) => (
  <form method="post" action={action} class={rest.class ?? "stack"}>
    <Csrf token={c.get("csrfToken") ?? ""} />
    {children}
  </form>
);

/** A one-button POST form (revoke, delete, sign out). */
export const ActionButton: FC<{
  c: Context<AppEnv>;
  action: string;
  label: string;
  danger?: boolean;
  fields?: Record<string, string>;
}> = ({ c, action, label, danger, fields = {} }) => (
  <PostForm c={c} action={action} class="inline">
    {Object.entries(fields).map(([name, value]) => (
      <input type="hidden" name={name} value={value} />
    ))}
    <button type="submit" class={danger ? "danger" : "secondary"}>
      {label}
    </button>
  </PostForm>
);

/** The sentence a person reads for an error: its own message, ending like one. */
export const sentence = (message: string): string => {
  const text = message.trim();
  if (text === "") return "That did not work.";
  const first = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?…]$/.test(first) ? first : `${first}.`;
};

/**
 * An error box for a failed action: the error's own message as a sentence (never internals, never
 * a raw code: the code stays machine-readable in `data-code` for support and tests).
 */
export const ErrorBox: FC<{ error?: unknown }> = ({ error }) => {
  if (error === undefined) return null;
  const e = error instanceof ApiError ? error : new ApiError("internal_error", "Something went wrong");
  return (
    <div class="error" role="alert" data-code={e.code}>
      {sentence(e.message)}
    </div>
  );
};

/** An instant with its zone, so nobody has to guess whose clock it is: `2026-12-07 23:31:41 UTC`. */
export const when = (ms: number | null | undefined): string =>
  ms === null || ms === undefined ? "—" : `${new Date(ms).toISOString().replace("T", " ").slice(0, 19)} UTC`;

const grouped = new Intl.NumberFormat("en-US");
/** A count or amount with thousands separators (`12,345`). */
export const count = (n: number | null | undefined): string =>
  n === null || n === undefined ? "—" : grouped.format(n);

/** A secret shown this once, with a copy button (the page script reveals it). */
export const RevealBox: FC<{ reveal: Reveal }> = ({ reveal }) => (
  <div class="secret" role="status">
    <p>
      <strong>{reveal.title}</strong>
    </p>
    <p>
      <code id={reveal.id}>{reveal.value}</code>{" "}
      <button type="button" class="secondary" data-copy={reveal.id} hidden>
        Copy
      </button>
    </p>
    {reveal.caption ? <p class="muted">{reveal.caption}</p> : null}
  </div>
);

const SECTIONS: [string, string, string][] = [
  ["tables", "Tables", ""],
  ["sql", "SQL console", "/sql"],
  ["functions", "Functions", "/functions"],
  ["keys", "API keys", "/keys"],
  ["members", "Members", "/members"],
  ["secrets", "Secrets", "/secrets"],
  ["webhooks", "Webhooks", "/webhooks"],
  ["issuers", "Issuers", "/issuers"],
  ["audit", "Audit log", "/audit"],
  ["usage", "Usage", "/usage"],
  ["connect", "Connect", "/connect"],
  ["settings", "Settings", "/settings"],
];

const SideNav: FC<{ workspace: WorkspaceNav; section?: string }> = ({ workspace, section }) => (
  <nav class="side" aria-label="Workspace">
    <h2>{workspace.name}</h2>
    <p class="muted">Your role: {workspace.role}</p>
    {SECTIONS.map(([id, label, path]) => (
      <a href={`/app/w/${workspace.id}${path}`} aria-current={section === id ? "page" : undefined}>
        {label}
      </a>
    ))}
  </nav>
);

/** Renders a whole page: the shell, the notice a redirect named, and the page's content. */
export async function render(c: Context<AppEnv>, options: PageOptions, content: Child): Promise<Response> {
  const { script, style } = await assets();
  const nonce = c.get("secureHeadersNonce") ?? "";
  const user = c.get("actor")?.type === "user";
  const flash = await takeFlash(c);
  const notice = flash?.notice ?? noticeText(c.req.query("notice"));
  const body = (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${options.title} · islet`}</title>
        <link rel="stylesheet" href={style.path} integrity={style.integrity} />
        <script type="module" src={script.path} integrity={script.integrity} nonce={nonce} />
      </head>
      <body>
        <header class="top">
          <a class="brand" href={user ? "/app" : "/"}>
            islet
          </a>
          <span class="spacer" />
          {user ? (
            <>
              <a href="/app">Workspaces</a>
              <a href="/app/account">Account</a>
              <ActionButton c={c} action="/logout" label="Sign out" />
            </>
          ) : (
            <>
              <a href="/login">Sign in</a>
              <a href="/signup">Sign up</a>
            </>
          )}
        </header>
        <div class="shell">
          {options.workspace ? <SideNav workspace={options.workspace} section={options.section} /> : null}
          <main class={options.narrow ? "narrow" : undefined}>
            {notice ? (
              <div class="notice" role="status">
                {notice}
              </div>
            ) : null}
            {flash?.reveal ? <RevealBox reveal={flash.reveal} /> : null}
            {content}
          </main>
        </div>
      </body>
    </html>
  );
  return c.html(`<!doctype html>${await body.toString()}`, options.status ?? 200);
}
