import type { WorkspaceRow } from "../../db/control/schema";
import type { webhooks } from "../../db/tenant/schema";
import { workspaceAccess } from "../core/access";
import type { Actor } from "../core/actor";
import type { ServiceContext } from "../core/context";
import { disableArrangement, refusalFor, standingFor } from "../standing";
import { eventNeed, MANAGE_WEBHOOKS } from "./schemas";

type Endpoint = typeof webhooks.$inferSelect;

/** Who acts when islet itself stops an endpoint: the audit log says so, not the request that noticed. */
const islet: Actor = { type: "system", reason: "creator authority ended" };

/** What an endpoint may be sent now: nothing (it was stopped, and why), or what its creator may read. */
export type EndpointStanding =
  | { ok: false; reason: string }
  | { ok: true; reads: (type: string, data: unknown) => Promise<boolean> };

/**
 * Checks an endpoint's creator before anything is queued or sent to it (architecture §3, §8), so a missed
 * cleanup still sends nothing: a creator who may no longer manage webhooks stops the endpoint
 * (disabled with the reason, audited, shown to admins); one who may, receives only the events
 * they may read now (a key's scopes and table allowlist, a member's role), each answered once per
 * need.
 */
export async function endpointStanding(
  ctx: ServiceContext,
  workspace: WorkspaceRow,
  endpoint: Endpoint,
): Promise<EndpointStanding> {
  const arrangement = { createdBy: endpoint.createdBy, since: endpoint.authorizedAt ?? endpoint.createdAt };
  const standing = await standingFor(ctx, workspace.id, arrangement, MANAGE_WEBHOOKS);
  if (!standing.ok) {
    const system = { ...ctx, actor: islet };
    await disableArrangement(
      system,
      workspaceAccess(system, workspace, null),
      "webhook",
      endpoint.id,
      standing.reason,
    );
    return standing;
  }
  const answers = new Map<string, Promise<string | null>>();
  return {
    ok: true,
    reads: async (type, data) => {
      const need = eventNeed(type, data);
      if (need === null) return true;
      const key = JSON.stringify(need);
      let answer = answers.get(key);
      if (!answer) {
        answer = refusalFor(ctx, workspace.id, standing.actor, need);
        answers.set(key, answer);
      }
      return (await answer) === null;
    },
  };
}
