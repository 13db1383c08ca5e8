import type { Bindings, Config } from "./env";
import type { Logger } from "./lib/logger";

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
  | { type: "operator"; operatorId: string }
  | { type: "system"; reason: string };

export type ActorType = Actor["type"];

export interface Variables {
  requestId: string;
  logger: Logger;
  config: Config;
  actor: Actor;
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
  /** Background work that must finish after the response (ExecutionContext.waitUntil). */
  waitUntil: (promise: Promise<unknown>) => void;
}
