import { authorizeWorkspace } from "../core/access";
import { parseInput, type ServiceArgs } from "../core/context";
import { type AuditEntry, type AuditFilter, readAuditPage, toEntry } from "./read";
import { AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX, listAuditInput } from "./schemas";

/** Who may read a workspace's audit log: admins, and keys with `audit:read` (architecture §3). */
export const AUDIT_READ = { role: "admin", scope: "audit:read" } as const;

/**
 * A page of the workspace's audit log, newest first. The cursor is the seq of the last event
 * returned (keyset pagination: stable while new events are appended).
 */
export async function listAuditEvents({
  ctx,
  input: raw,
}: ServiceArgs<AuditFilter & { workspaceId: string; cursor?: number; limit?: number }>): Promise<{
  events: AuditEntry[];
  nextCursor: string | null;
}> {
  const input = parseInput(listAuditInput, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, AUDIT_READ);
  const limit = Math.min(input.limit ?? AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX);
  const rows = await readAuditPage(await access.db(), {
    filter: input,
    order: "desc",
    beforeSeq: input.cursor,
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    events: page.map(toEntry),
    nextCursor: rows.length > limit && last ? String(last.seq) : null,
  };
}
