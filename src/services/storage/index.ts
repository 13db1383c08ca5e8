import type { Client } from "@libsql/client/web";
import type { WorkspaceRow } from "../../db/control/schema";
import { ApiError } from "../../lib/errors";
import { PLANS, type Plan, type PlanId } from "../../lib/plans";
import { provisionerFor } from "../../provision";
import type { ServiceContext } from "../core/context";

/** A table name as an SQL identifier (names come from the catalog, checked when created). */
const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** A tenant database's size and rows as measured, with where the byte figure came from. */
export interface StorageFigures {
  bytes: number;
  rows: number;
  /** `provider`: the provider's own figure (Turso's usage API); `pages`: page_count × page_size. */
  source: "provider" | "pages";
  measuredAt: number;
}

export type StorageLimits = Pick<Plan, "storageBytes" | "maxRows">;

/**
 * Measures a tenant database: its bytes (the provider's figure when given, else SQLite's own
 * page_count × page_size, which is the file's size) and the rows of the workspace's own tables
 * (islet's `_islet_*` tables are not the workspace's rows). Two round trips: the catalog, then one
 * statement with every count — count(*) walks a table's smallest index, so its cost grows with the
 * rows; it runs at most once per STORAGE_TTL_MS per isolate and workspace (see assertStorageRoom).
 */
export async function measureStorage(tenant: Client, providerBytes?: number): Promise<StorageFigures> {
  const names = (await tenant.execute("SELECT name FROM _islet_tables")).rows.map((r) => String(r.name));
  const rows = names.length > 0 ? names.map((n) => `(SELECT count(*) FROM ${quote(n)})`).join(" + ") : "0";
  const measured = await tenant.execute(
    `SELECT (SELECT page_count FROM pragma_page_count()) * (SELECT page_size FROM pragma_page_size()) AS bytes, ${rows} AS rows`,
  );
  const row = measured.rows[0];
  return {
    bytes: providerBytes ?? Number(row?.bytes ?? 0),
    rows: Number(row?.rows ?? 0),
    source: providerBytes === undefined ? "pages" : "provider",
    measuredAt: Date.now(),
  };
}

/**
 * Refuses a write (507 `storage_limit`, the figures and limits in details) when the database is
 * at or past either limit. Takes the limits, not a workspace, so it can be checked against any.
 */
export function assertWithinStorage(figures: StorageFigures, limits: StorageLimits, plan: PlanId): void {
  const over =
    figures.bytes >= limits.storageBytes ? "bytes" : figures.rows >= limits.maxRows ? "rows" : null;
  if (!over) return;
  throw new ApiError(
    "storage_limit",
    over === "bytes"
      ? `The database holds ${figures.bytes} bytes, the ${plan} plan's limit is ${limits.storageBytes}: delete data or change plan`
      : `The database holds ${figures.rows} rows, the ${plan} plan's limit is ${limits.maxRows}: delete rows or change plan`,
    {
      details: {
        exceeded: over,
        bytes: figures.bytes,
        rows: figures.rows,
        storageBytes: limits.storageBytes,
        maxRows: limits.maxRows,
        plan,
      },
    },
  );
}

/** How long a measurement is trusted while the database is well below its limits. */
export const STORAGE_TTL_MS = 10_000;
/** From this share of a limit on, every write measures afresh. */
const NEAR = 0.9;

/** Measurements per workspace, per isolate: a cache, never the authority. */
const measured = new Map<string, StorageFigures>();

/**
 * The provider's figure changes slowly (Turso's usage is not real time) and is asked of one
 * organisation-wide API that provisioning and backups share: at most once per this period per
 * isolate and workspace, whatever the write rate.
 */
const PROVIDER_TTL_MS = 5 * 60_000;
const providerFigures = new Map<string, { bytes: number; at: number }>();

/**
 * The provider's byte figure for the workspace's database, or undefined to measure pages instead:
 * when the provider has none, or cannot answer now (a write must not fail because the provider's
 * usage API is down or rate-limited; the last figure it gave, else the page count, stands in).
 */
async function providerBytes(ctx: ServiceContext, workspace: WorkspaceRow): Promise<number | undefined> {
  const provider = provisionerFor(ctx.config);
  if (!provider.storageBytes) return undefined;
  const known = providerFigures.get(workspace.id);
  if (known && Date.now() - known.at < PROVIDER_TTL_MS) return known.bytes;
  try {
    const bytes = await provider.storageBytes(workspace.dbName);
    providerFigures.set(workspace.id, { bytes, at: Date.now() });
    return bytes;
  } catch (error) {
    ctx.logger.warn("the provider's storage figure is unavailable; using the last one or the page count", {
      workspaceId: workspace.id,
      error: error instanceof Error ? error.message : String(error),
    });
    return known?.bytes;
  }
}

/** Measures a workspace's database now (the provider's byte figure where it has one). */
export async function workspaceStorage(
  ctx: ServiceContext,
  workspace: WorkspaceRow,
  tenant: Client,
): Promise<StorageFigures> {
  const figures = await measureStorage(tenant, await providerBytes(ctx, workspace));
  measured.set(workspace.id, figures);
  return figures;
}

/**
 * The storage cap on a write that adds data (rows inserted or updated, tables created); reads and
 * deletes are never refused, so a workspace at its cap can always shrink.
 *
 * Cost: no round trip for most writes. A measurement is reused for STORAGE_TTL_MS while it is
 * below 90 % of both limits; from 90 % on, every write measures first. After a write the cached
 * row count is moved by the rows it added (`noteRowsAdded`), without a round trip.
 *
 * Overshoot bound: below 90 % a stale figure can admit what the workspace writes in one TTL (per
 * isolate) and that passes the remaining 10 %; from 90 % on the figure is fresh, so only writes
 * in flight at once pass it, each bounded by the body limit and 1,000 rows. The cap is a bound on
 * growth, not an exact byte count.
 */
export async function assertStorageRoom(
  ctx: ServiceContext,
  workspace: WorkspaceRow,
  tenant: Client,
): Promise<void> {
  const limits = PLANS[workspace.plan];
  const cached = measured.get(workspace.id);
  const near = (f: StorageFigures) =>
    f.bytes >= limits.storageBytes * NEAR || f.rows >= limits.maxRows * NEAR;
  const fresh = cached && Date.now() - cached.measuredAt < STORAGE_TTL_MS && !near(cached);
  const figures = fresh ? cached : await workspaceStorage(ctx, workspace, tenant);
  assertWithinStorage(figures, limits, workspace.plan);
}

/** Keeps the cached row count in step with a committed write (negative for deletes). */
export function noteRowsAdded(workspaceId: string, rows: number): void {
  const cached = measured.get(workspaceId);
  if (cached) measured.set(workspaceId, { ...cached, rows: Math.max(0, cached.rows + rows) });
}
