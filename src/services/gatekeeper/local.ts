import { PrincipalGate } from "../../../durable-objects/gatekeeper/principal";

/**
 * The in-memory Gatekeeper for local unit use (architecture §4): the same PrincipalGate the Durable
 * Object runs, one per principal name in this isolate, nothing persisted. `gate()` reaches it
 * only outside production and only when the Worker has no GATEKEEPER binding at all.
 */
const gates = new Map<string, PrincipalGate>();

export function localGate(principal: string): PrincipalGate {
  let gate = gates.get(principal);
  if (!gate) {
    gate = new PrincipalGate();
    gates.set(principal, gate);
  }
  return gate;
}

export function forgetLocalGate(principal: string): void {
  gates.delete(principal);
}
