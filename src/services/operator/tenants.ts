import { asc, eq } from "drizzle-orm";
import { z } from "zod";
import { controlDb } from "../../db/control/client";
import { type WorkspaceRow, workspaces } from "../../db/control/schema";
import { applyMigrations, type Migration } from "../../db/migrator";
import { tenantDb } from "../../db/tenant/client";
import { parseInput, type ServiceArgs } from "../context";
import { requireOperator } from "./credential";

// The operator CLI's tenant work (DESIGN §13: tenants list/migrate); operators only.

export async function listTenants({ ctx }: ServiceArgs): Promise<WorkspaceRow[]> {
  requireOperator(ctx);
  return controlDb(ctx.config).select().from(workspaces).orderBy(asc(workspaces.createdAt));
}

const fanOutOptions = z.object({ concurrency: z.number().int().min(1).max(64).optional() });

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
export async function fanOutMigrations({
  ctx,
  input,
}: ServiceArgs<{
  migrations: readonly Migration[];
  concurrency?: number;
  onProgress?: (status: TenantMigrationStatus, done: number, total: number) => void;
}>): Promise<TenantMigrationStatus[]> {
  requireOperator(ctx);
  const { migrations, onProgress } = input;
  const { concurrency } = parseInput(fanOutOptions, { concurrency: input.concurrency });
  const config = ctx.config;
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
      onProgress?.(status, results.length, tenants.length);
    }
  };
  await Promise.all(Array.from({ length: concurrency ?? 4 }, worker));
  return results;
}
