import { and, eq, lt } from "drizzle-orm";
import { tenantMigrations } from "../../../migrations/tenant";
import { controlDb } from "../../db/control/client";
import { memberships, type WorkspaceRow, workspaces } from "../../db/control/schema";
import { sqliteConstraint } from "../../db/errors";
import { libsqlClient } from "../../db/libsql";
import { applyMigrations } from "../../db/migrator";
import { dbTokenBinding } from "../../db/tenant/client";
import { encryptSecret, importKeyring } from "../../lib/crypto";
import { ApiError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import type { Region } from "../../lib/tenancy";
import { type Provisioner, provisionerFor } from "../../provision";
import type { ServiceArgs, ServiceContext } from "../core/context";

export interface ProvisionInput {
  name: string;
  slug: string;
  region: Region;
  ownerUserId?: string;
  /** Idempotency key: the same key twice yields one workspace and one database. */
  requestKey?: string;
}

/** The steps of provisioning, in order; tests inject failures at each one. */
export const PROVISION_STEPS = ["record", "create_database", "migrate", "store_token", "activate"] as const;
export type ProvisionStep = (typeof PROVISION_STEPS)[number];

export interface ProvisionDeps {
  provisioner?: Provisioner;
  /** Called before each step; a throw simulates that step failing. */
  beforeStep?: (step: ProvisionStep) => void | Promise<void>;
}

/** A provisioning attempt older than this with no progress is abandoned and may be resumed. */
const STALE_MS = 2 * 60_000;

const dbNameFor = (workspaceId: string) => workspaceId.replace(/_/g, "-").toLowerCase();

/**
 * Creates a workspace and its own database (DESIGN §11): records the workspace as
 * `provisioning`, creates the database, applies the tenant migrations, stores the database
 * token encrypted and marks the workspace active. Idempotent by `requestKey`; compensating: on
 * any failure the database and the rows made so far are removed before the error is returned.
 */
export async function provisionWorkspace({
  ctx,
  input,
  deps = {},
}: ServiceArgs<ProvisionInput> & { deps?: ProvisionDeps }): Promise<WorkspaceRow> {
  const db = controlDb(ctx.config);
  const provisioner = deps.provisioner ?? provisionerFor(ctx.config);
  const step = async (name: ProvisionStep) => deps.beforeStep?.(name);

  if (input.requestKey) {
    const [existing] = await db.select().from(workspaces).where(eq(workspaces.requestKey, input.requestKey));
    if (existing?.status === "active") return existing;
    if (existing && Date.now() - existing.updatedAt < STALE_MS) {
      throw new ApiError("conflict", "This workspace is still being provisioned; retry shortly");
    }
    // A stale attempt that never finished (the isolate died mid-way): clean it up and start over.
    if (existing) await compensate(ctx, provisioner, existing);
  }

  const now = Date.now();
  const id = newId("ws");
  const row: WorkspaceRow = {
    id,
    slug: input.slug,
    name: input.name,
    region: input.region,
    plan: ctx.config.DEFAULT_PLAN,
    status: "provisioning",
    dbName: dbNameFor(id),
    dbUrl: null,
    dbTokenEnc: null,
    requestKey: input.requestKey ?? null,
    createdBy: input.ownerUserId ?? null,
    createdAt: now,
    updatedAt: now,
  };

  try {
    await step("record");
    const writes = [db.insert(workspaces).values(row)] as const;
    if (input.ownerUserId) {
      await db.batch([
        ...writes,
        db
          .insert(memberships)
          .values({ workspaceId: id, userId: input.ownerUserId, role: "owner", createdAt: now }),
      ]);
    } else {
      await db.batch(writes);
    }
  } catch (error) {
    // Nothing exists yet: the batch is one transaction, so a failed insert left no row.
    if (sqliteConstraint(error)?.kind === "unique") {
      throw new ApiError("conflict", "A workspace with this slug already exists", {
        details: { field: "slug" },
      });
    }
    ctx.logger.error("provisioning failed before any database was made", {
      error: error instanceof Error ? error.message : String(error),
    });
    throw new ApiError("unavailable", "The workspace could not be created; nothing was kept");
  }

  try {
    await step("create_database");
    const database = await provisioner.create(row.dbName, row.region);

    await step("migrate");
    const tenant = libsqlClient(database.url, database.token);
    await applyMigrations(tenant, tenantMigrations);
    await tenant.batch(
      [
        { sql: "INSERT OR REPLACE INTO _islet_meta (key, value) VALUES ('workspace_id', ?)", args: [id] },
        { sql: "INSERT OR REPLACE INTO _islet_meta (key, value) VALUES ('region', ?)", args: [row.region] },
      ],
      "write",
    );

    await step("store_token");
    const keyring = await importKeyring(ctx.config.ISLET_KEYRING);
    const dbTokenEnc = await encryptSecret(keyring, database.token, dbTokenBinding(id));

    await step("activate");
    const [active] = await db
      .update(workspaces)
      .set({ status: "active", dbUrl: database.url, dbTokenEnc, updatedAt: Date.now() })
      .where(and(eq(workspaces.id, id), eq(workspaces.status, "provisioning")))
      .returning();
    if (!active) throw new Error("workspace changed while provisioning");
    ctx.logger.info("workspace provisioned", {
      workspaceId: id,
      region: row.region,
      provisioner: provisioner.kind,
    });
    return active;
  } catch (error) {
    await compensate(ctx, provisioner, row);
    if (error instanceof ApiError) throw error;
    ctx.logger.error("provisioning failed", {
      workspaceId: id,
      error: error instanceof Error ? error.message : String(error),
    });
    throw new ApiError("unavailable", "The workspace database could not be provisioned; nothing was kept");
  }
}

/** Removes whatever a failed attempt made: the database first, then the rows. */
async function compensate(ctx: ServiceContext, provisioner: Provisioner, row: WorkspaceRow): Promise<void> {
  const db = controlDb(ctx.config);
  try {
    await provisioner.destroy(row.dbName);
    await db.batch([
      db.delete(memberships).where(eq(memberships.workspaceId, row.id)),
      db.delete(workspaces).where(and(eq(workspaces.id, row.id), eq(workspaces.status, "provisioning"))),
    ]);
  } catch (error) {
    // The row stays `provisioning` and becomes stale; the next attempt or `islet tenants gc` retries.
    ctx.logger.error("compensation failed; left for retry", {
      workspaceId: row.id,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/** Rows abandoned mid-provisioning, for the operator CLI's clean-up. */
export async function staleProvisioning(ctx: ServiceContext): Promise<WorkspaceRow[]> {
  const db = controlDb(ctx.config);
  return db
    .select()
    .from(workspaces)
    .where(and(eq(workspaces.status, "provisioning"), lt(workspaces.updatedAt, Date.now() - STALE_MS)));
}
