import type { Bindings, Config } from "../config";
import type { Logger } from "../lib/logger";
import type { Actor, VerifiedKey } from "../services/core/actor";
import type { ServiceContext } from "../services/core/context";
import type { FormFields } from "./form";

/** What the request carries through the Hono pipeline, for every surface (src/app.ts). */
export interface Variables {
  requestId: string;
  logger: Logger;
  config: Config;
  actor: Actor;
  /** How the credential arrived: cookies need the CSRF check, bearer tokens do not; sockets may use a ticket. */
  authVia?: "bearer" | "cookie" | "ticket";
  /** The workspace a redeemed socket ticket is bound to. */
  ticketWorkspaceId?: string;
  /** The verified API key (its plan and caps) when the actor is an API key. */
  apiKey?: VerifiedKey;
  /** The workspace a `/v1/workspaces/:workspaceId/…` route addresses, loaded once per request. */
  workspace?: ServiceContext["workspace"];
  /** The signed-in user is a member of `workspace` (set by loadWorkspace). */
  workspaceMember?: boolean;
  /** The request's sandbox budget (see ServiceContext.sandboxBudget). */
  sandboxBudget?: ServiceContext["sandboxBudget"];
  /** What services receive from this request (set by the serviceContext middleware). */
  ctx: ServiceContext;
  /** Per-request nonce for the Content-Security-Policy (set by the secureHeaders middleware). */
  secureHeadersNonce?: string;
  /** The dashboard: this browser's CSRF token, which every form carries (ui/session.ts). */
  csrfToken?: string;
  /** The dashboard: a POSTed form's fields, checked by the form guard (ui/session.ts). */
  form?: FormFields;
}

/** The one Hono environment of the API, MCP over HTTP and the pages (STYLE "Typed context"). */
export interface AppEnv {
  Bindings: Bindings;
  Variables: Variables;
}
