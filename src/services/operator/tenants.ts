import { and, asc, count, eq, getTableColumns, gt, isNull, or } from "drizzle-orm";
import { getTableConfig } from "drizzle-orm/sqlite-core";
import { z } from "zod";
import { controlDb } from "../../db/control/client";
import { apiKeys, memberships, users, type WorkspaceRow, workspaces } from "../../db/control/schema";
import { applyMigrations, type Migration, pendingMigrations } from "../../db/migrator";
import { tenantDb } from "../../db/tenant/client";
import { withBudget } from "../../lib/deadline";
import { ApiError } from "../../lib/errors";
import { ID_FORMATS } from "../../lib/ids";
import { mapPool } from "../../lib/pool";
import { type BackupView, listBackups, recordBackup } from "../backups";
import { parseInput, type ServiceArgs } from "../core/context";
import { CONTROL_SEALED_COLUMNS } from "../inventory";
import { requireOperator } from "./credential";

// The operator CLI's tenant work (architecture §13: tenants list/migrate); operators only.

export async function listTenants({ ctx }: ServiceArgs): Promise<WorkspaceRow[]> {
  requireOperator(ctx);
  return controlDb(ctx.config).select().from(workspaces).orderBy(asc(workspaces.createdAt));
}

export interface TenantDetail {
  workspace: Omit<WorkspaceRow, "dbTokenEnc" | "requestKey"> & { createdAt: number; updatedAt: number };
  members: { userId: string; email: string; role: string }[];
  liveKeys: number;
  backups: BackupView[];
}

/**
 * The workspace row's fields an operator is never shown: its sealed columns (the inventory's:
 * the database token) and the provisioning request's key.
 */
const HIDDEN_WORKSPACE_FIELDS = new Set([
  ...Object.entries(getTableColumns(workspaces))
    .filter(([, c]) =>
      CONTROL_SEALED_COLUMNS.some((s) => s.table === getTableConfig(workspaces).name && s.column === c.name),
    )
    .map(([field]) => field),
  "requestKey",
]);

/** `workspace show <id>`: one workspace for an operator, its sealed columns excepted. */
export async function showTenant({
  ctx,
  input,
}: ServiceArgs<{ workspaceId: string }>): Promise<TenantDetail> {
  requireOperator(ctx);
  const { workspaceId } = parseInput(
    z.object({ workspaceId: z.string().regex(ID_FORMATS.workspace) }),
    input,
  );
  const db = controlDb(ctx.config);
  const [row] = await db.select().from(workspaces).where(eq(workspaces.id, workspaceId));
  if (!row) throw new ApiError("not_found", "Workspace not found");
  const workspace = Object.fromEntries(
    Object.entries(row).filter(([field]) => !HIDDEN_WORKSPACE_FIELDS.has(field)),
  ) as TenantDetail["workspace"];
  const members = await db
    .select({ userId: memberships.userId, email: users.email, role: memberships.role })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.workspaceId, workspaceId))
    .orderBy(asc(memberships.createdAt));
  const now = Date.now();
  const [keys] = await db
    .select({ n: count() })
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.workspaceId, workspaceId),
        isNull(apiKeys.revokedAt),
        or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)),
      ),
    );
  return {
    workspace,
    members,
    liveKeys: keys?.n ?? 0,
    backups: await listBackups({ ctx, input: { workspaceId } }),
  };
}

const fanOutOptions = z.object({
  concurrency: z.number().int().min(1).max(64).optional(),
  tenantTimeoutMs: z.number().int().min(100).max(3_600_000).default(120_000),
});

export interface TenantMigrationStatus {
  workspaceId: string;
  slug: string;
  status: "migrated" | "up_to_date" | "failed";
  applied: string[];
  /** The backup point taken before this tenant's pending migrations ran. */
  backupId?: string;
  ms: number;
  error?: string;
}

/**
 * Applies tenant migrations to every active workspace, `concurrency` at a time, reporting each
 * tenant as it finishes. A tenant with anything pending gets a backup point first (none is
 * migrated without one). Safe to re-run: each database's ledger skips what it already has, so an
 * interrupted fan-out resumes where it stopped. One tenant failing does not stop the others.
 */
export async function fanOutMigrations({
  ctx,
  input,
}: ServiceArgs<{
  migrations: readonly Migration[];
  concurrency?: number;
  /** Each tenant's deadline (backup and migrations together); past it, that tenant failed. */
  tenantTimeoutMs?: number;
  onProgress?: (status: TenantMigrationStatus, done: number, total: number) => void;
}>): Promise<TenantMigrationStatus[]> {
  requireOperator(ctx);
  const { migrations, onProgress } = input;
  const { concurrency, tenantTimeoutMs } = parseInput(fanOutOptions, {
    concurrency: input.concurrency,
    tenantTimeoutMs: input.tenantTimeoutMs,
  });
  const config = ctx.config;
  const tenants = await controlDb(config).select().from(workspaces).where(eq(workspaces.status, "active"));
  // A migration statement may rightly run long (a table rebuilt): bounded by the tenant's
  // deadline rather than the request-sized statement cap.
  const migrate = (ws: WorkspaceRow): Promise<TenantMigrationStatus> =>
    withBudget({ deadlineAt: Date.now() + tenantTimeoutMs, statementMs: tenantTimeoutMs }, () =>
      migrateOne(ws),
    );
  const migrateOne = async (ws: WorkspaceRow): Promise<TenantMigrationStatus> => {
    const started = Date.now();
    const base = { workspaceId: ws.id, slug: ws.slug };
    let backupId: string | undefined;
    try {
      const client = await tenantDb(config, ws);
      if ((await pendingMigrations(client, migrations)).length > 0)
        backupId = (await recordBackup(ctx, ws, "pre_migration")).id;
      const applied = await applyMigrations(client, migrations);
      return {
        ...base,
        status: applied.length ? "migrated" : "up_to_date",
        applied,
        ...(backupId ? { backupId } : {}),
        ms: Date.now() - started,
      };
    } catch (error) {
      return {
        ...base,
        status: "failed",
        applied: [],
        ...(backupId ? { backupId } : {}),
        ms: Date.now() - started,
        error: error instanceof Error ? error.message : String(error),
      };
    }
  };
  return mapPool(tenants, concurrency ?? 4, migrate, onProgress);
}
