import type { Actor } from "./actor";

// What the tenant audit log and the platform security log share: how an actor is named and
// what an action looks like.

export function actorId(actor: Actor): string | null {
  switch (actor.type) {
    case "user":
      return actor.userId;
    case "apiKey":
      return actor.keyId;
    case "operator":
      return actor.operatorId;
    case "system":
      return actor.reason;
    case "endUser":
      return `${actor.issuerId}:${actor.subject}`;
    default:
      return null;
  }
}

const ACTION = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;

export function assertAction(action: string): void {
  if (!ACTION.test(action)) throw new Error(`audit action must be entity.verb, got ${action}`);
}
