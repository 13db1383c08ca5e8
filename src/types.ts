import type { WorkspaceRow } from "./db/control/schema";
import type { Bindings, Config } from "./env";
import type { Logger } from "./lib/logger";
import type { SandboxBudget } from "./sandbox/budget";
import type { VerifiedKey } from "./services/keys/credential";

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
  /** How the credential arrived: cookies need the CSRF check, bearer tokens do not. */
  authVia?: "bearer" | "cookie";
  /** The verified API key (its plan and caps) when the actor is an API key. */
  apiKey?: VerifiedKey;
  /** The workspace a `/v1/workspaces/:workspaceId/…` route addresses, loaded once per request. */
  workspace?: WorkspaceRow;
  /** The signed-in user is a member of `workspace` (set by loadWorkspace). */
  workspaceMember?: boolean;
  /** The request's sandbox budget (see ServiceContext.sandboxBudget). */
  sandboxBudget?: SandboxBudget;
  /** Per-request nonce for the Content-Security-Policy (set by the secureHeaders middleware). */
  secureHeadersNonce?: string;
}

export interface AppEnv {
  Bindings: Bindings;
  Variables: Variables;
}

/** What services receive: the request's identity and configuration, never the Hono context. */
export interface ServiceContext {
  env: Bindings;
  config: Config;
  actor: Actor;
  requestId: string;
  ip: string | null;
  userAgent: string | null;
  logger: Logger;
  /** The addressed workspace when the route has one (see Variables.workspace). */
  workspace?: WorkspaceRow;
  /** Background work that must finish after the response (ExecutionContext.waitUntil). */
  waitUntil: (promise: Promise<unknown>) => void;
  /** The request's one sandbox CPU budget, shared by every formula and function it runs. */
  sandboxBudget: SandboxBudget;
}
