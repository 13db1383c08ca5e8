import { asc, eq } from "drizzle-orm";
import { controlDb } from "../src/db/control/client";
import { type WorkspaceRow, workspaces } from "../src/db/control/schema";
import { applyMigrations, type Migration } from "../src/db/migrator";
import { tenantDb } from "../src/db/tenant/client";
import type { Config } from "../src/env";

export async function listTenants(config: Config): Promise<WorkspaceRow[]> {
  return controlDb(config).select().from(workspaces).orderBy(asc(workspaces.createdAt));
}

export interface TenantMigrationStatus {
  workspaceId: string;
  slug: string;
  status: "migrated" | "up_to_date" | "failed";
  applied: string[];
  error?: string;
}

/**
 * Applies tenant migrations to every active workspace, `concurrency` at a time, reporting each
 * tenant as it finishes. Safe to re-run: each database's ledger skips what it already has, so an
 * interrupted fan-out resumes where it stopped. One tenant failing does not stop the others.
 */
export async function fanOutMigrations(
  config: Config,
  migrations: readonly Migration[],
  opts: {
    concurrency?: number;
    onProgress?: (status: TenantMigrationStatus, done: number, total: number) => void;
  } = {},
): Promise<TenantMigrationStatus[]> {
  const tenants = await controlDb(config).select().from(workspaces).where(eq(workspaces.status, "active"));
  const results: TenantMigrationStatus[] = [];
  let next = 0;
  const worker = async () => {
    while (next < tenants.length) {
      const ws = tenants[next++] as WorkspaceRow;
      let status: TenantMigrationStatus;
      try {
        const applied = await applyMigrations(await tenantDb(config, ws), migrations);
        status = {
          workspaceId: ws.id,
          slug: ws.slug,
          status: applied.length ? "migrated" : "up_to_date",
          applied,
        };
      } catch (error) {
        status = {
          workspaceId: ws.id,
          slug: ws.slug,
          status: "failed",
          applied: [],
          error: error instanceof Error ? error.message : String(error),
        };
      }
      results.push(status);
      opts.onProgress?.(status, results.length, tenants.length);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 4) }, worker));
  return results;
}
