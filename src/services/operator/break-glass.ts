import type { z } from "zod";
import { bytesToBase64 } from "../../lib/encoding";
import { ApiError } from "../../lib/errors";
import { commitWithAudit } from "../audit";
import { authorizeWorkspace } from "../core/access";
import { parseInput, type ServiceArgs } from "../core/context";
import { recordSecurityEvent } from "../security-log";
import { requireOperator } from "./credential";
import { notifyOwners, type OwnerAlerter } from "./notify";
import type { BreakGlassRead as BreakGlassReadSchema } from "./schemas";
import { BREAK_GLASS_DEFAULT_ROWS, readRowsInput } from "./schemas";

/** User tables only: system tables (`_islet_*`, `sqlite_*`) hold secrets and the log itself. */
const USER_TABLE = /^(?!_islet_|sqlite_)[A-Za-z_][A-Za-z0-9_]{0,62}$/i;

export type BreakGlassRead = z.infer<typeof BreakGlassReadSchema>;

const plain = (value: unknown) =>
  value instanceof ArrayBuffer ? bytesToBase64(new Uint8Array(value)) : value;

/**
 * Break-glass read of a tenant's rows by an islet operator (architecture §9). In order: a reason is
 * required; the platform log records the access; every owner is emailed — if any alert fails,
 * nothing is read; then the read and its `operator.data_access` event commit in ONE batch of the
 * tenant's own database, so no row leaves without the event in the customer's log.
 */
export async function readTenantRows({
  ctx,
  input: raw,
  alerter,
}: ServiceArgs<{ workspaceId: string; table: string; reason: string; limit?: number }> & {
  alerter?: OwnerAlerter;
}): Promise<BreakGlassRead> {
  const input = parseInput(readRowsInput, raw);
  const operatorId = requireOperator(ctx);
  // Trimmed and at least MIN_REASON_LENGTH characters: the input schema says so.
  const { reason } = input;
  if (!USER_TABLE.test(input.table)) throw new ApiError("invalid_request", "Only user tables can be read");
  const limit = input.limit ?? BREAK_GLASS_DEFAULT_ROWS;
  // Operators pass authorizeWorkspace without a role; it still refuses missing or inactive workspaces.
  const access = await authorizeWorkspace(ctx, input.workspaceId, { role: "owner", scope: "data:read" });
  const tenant = await access.db();
  const exists = await tenant.execute({
    sql: "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?",
    args: [input.table],
  });
  if (exists.rows.length === 0) throw new ApiError("not_found", "Table not found");

  const notice = { operatorId, table: input.table, reason, limit };
  await recordSecurityEvent(ctx, {
    action: "operator.data_access",
    details: { workspaceId: access.workspace.id, table: input.table, reason, limit },
  });
  let ownersNotified: number;
  try {
    ownersNotified = await notifyOwners(ctx, access.workspace, notice, alerter);
  } catch (error) {
    ctx.logger.error("break-glass refused: owners could not be alerted", {
      workspaceId: access.workspace.id,
      error: error instanceof Error ? error.message : String(error),
    });
    throw new ApiError("unavailable", "The workspace owners could not be alerted; nothing was read");
  }
  // The identifier is checked above and quoted; the limit is bound.
  const [result] = await commitWithAudit(
    ctx,
    tenant,
    [{ sql: `SELECT * FROM "${input.table}" LIMIT ?`, args: [limit] }],
    [
      {
        action: "operator.data_access",
        targetType: "table",
        targetId: input.table,
        details: { operatorId, reason, limit, ownersNotified },
      },
    ],
  );
  const columns = result?.columns ?? [];
  const rows = (result?.rows ?? []).map((row) =>
    Object.fromEntries(columns.map((name, i) => [name, plain(row[i])])),
  );
  return { table: input.table, columns, rows, ownersNotified };
}
