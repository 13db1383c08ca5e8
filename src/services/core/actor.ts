import type { PlanId } from "../../lib/plans";

/** Who is making the request (architecture §2). Every service checks the actor's role and scopes. */
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
  /** A workspace's own app user, from a token of an issuer the workspace registered (architecture §3). */
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

/** An API key as verified for a request: its plan and caps ride with the `apiKey` actor. */
export interface VerifiedKey {
  keyId: string;
  workspaceId: string;
  plan: PlanId;
  scopes: string[];
  tables: string[] | null;
  perMinute: number | null;
  monthlyCap: number | null;
  createdBy: string;
  lastUsedAt: number | null;
  expiresAt: number | null;
  /** Ancestors (the keys that minted this one, nearest first) with a monthly cap: it counts there too. */
  ancestorCaps: { keyId: string; monthlyCap: number }[];
}
