import type { Transaction } from "@libsql/client/web";
import { type CappedResource, capOf, type PlanId, planLimit } from "../../lib/plans";

/** Resources held in the tenant database, by the system table that lists them. */
const HELD_IN = {
  tables: { table: "_islet_tables", key: "name" },
  functions: { table: "_islet_functions", key: "name" },
  secrets: { table: "_islet_secrets", key: "name" },
  api_accounts: { table: "_islet_api_accounts", key: "name" },
  webhooks: { table: "_islet_webhooks", key: "id" },
} as const satisfies Partial<Record<CappedResource, { table: string; key: string }>>;
export type TenantCapped = keyof typeof HELD_IN;

/**
 * Refuses (403 `plan_limit`) a create that would take a workspace past its plan's cap on
 * `resource`. Called from a `commitWithAudit` builder, i.e. under the write lock (BEGIN IMMEDIATE):
 * each create counts after the previous one committed, so a burst of parallel creates leaves
 * exactly the cap, where a count before the transaction would let the whole burst see room.
 * `replacing` names the row of an upsert (secrets, API accounts): replacing one is not a create.
 */
export async function assertRoomFor(
  tx: Transaction,
  plan: PlanId,
  resource: TenantCapped,
  replacing?: string,
): Promise<void> {
  const { table, key } = HELD_IN[resource];
  const held = await tx.execute({
    sql: `SELECT count(*) AS n, coalesce(sum(${key} = ?), 0) AS replaced FROM ${table}`,
    args: [replacing ?? null],
  });
  const row = held.rows[0];
  if (Number(row?.replaced ?? 0) > 0) return;
  const limit = capOf(plan, resource);
  if (Number(row?.n ?? 0) >= limit) throw planLimit(resource, plan, limit);
}
