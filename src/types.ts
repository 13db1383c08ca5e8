import type { WorkspaceRow } from "./db/control/schema";
import type { Bindings, Config } from "./env";
import type { Logger } from "./lib/logger";
import type { SandboxBudget } from "./sandbox/budget";
import type { ServiceContext } from "./services/context";
import type { VerifiedKey } from "./services/keys/credential";
import type { FormFields } from "./ui/session";

/** Who is making the request (DESIGN §2). Every service checks the actor's role and scopes. */
export type Actor =
  | { type: "anonymous" }
  | { type: "user"; userId: string; sessionId: string; issuedAt: number }
  | {
      type: "apiKey";
      keyId: string;
      workspaceId: string;
      scopes: readonly string[];
      tables: readonly string[] | null;
      createdBy: string;
    }
  /** A workspace's own app user, from a token of an issuer the workspace registered (DESIGN §3). */
  | {
      type: "endUser";
      workspaceId: string;
      issuerId: string;
      subject: string;
      role: "member" | "viewer";
      /** The issuer's table allowlist; null: every table. */
      tables: readonly string[] | null;
    }
  | { type: "operator"; operatorId: string }
  | { type: "system"; reason: string };

export type ActorType = Actor["type"];

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
  workspace?: WorkspaceRow;
  /** The signed-in user is a member of `workspace` (set by loadWorkspace). */
  workspaceMember?: boolean;
  /** The request's sandbox budget (see ServiceContext.sandboxBudget). */
  sandboxBudget?: SandboxBudget;
  /** What services receive from this request (set by the serviceContext middleware). */
  ctx: ServiceContext;
  /** Per-request nonce for the Content-Security-Policy (set by the secureHeaders middleware). */
  secureHeadersNonce?: string;
  /** The dashboard: this browser's CSRF token, which every form carries (ui/session.ts). */
  csrfToken?: string;
  /** The dashboard: a POSTed form's fields, checked by the form guard (ui/session.ts). */
  form?: FormFields;
}

export interface AppEnv {
  Bindings: Bindings;
  Variables: Variables;
}
