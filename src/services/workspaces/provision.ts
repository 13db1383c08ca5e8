import { and, count, eq, exists, lt } from "drizzle-orm";
import { tenantMigrations } from "../../../migrations/tenant";
import { insertUnderCap, insertWhere } from "../../db/capped";
import { controlDb } from "../../db/control/client";
import { memberships, type WorkspaceRow, workspaces } from "../../db/control/schema";
import { sqliteConstraint } from "../../db/errors";
import { libsqlClient } from "../../db/libsql";
import { applyMigrations } from "../../db/migrator";
import { dbTokenBinding } from "../../db/tenant/client";
import { encryptSecret, importKeyring } from "../../lib/crypto";
import { ApiError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { type PlanId, planLimit, workspacesAllowed } from "../../lib/plans";
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
 * Creates a workspace and its own database (architecture §11): records the workspace as
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
  let refused: ApiError | undefined;
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

  const cap = input.ownerUserId ? await ownerAllowance(ctx, input.ownerUserId) : null;
  try {
    await step("record");
    if (input.ownerUserId && cap) {
      // Workspaces per owner are capped (each is a database at the provider). The count, the
      // workspace row and the membership are one batch: the row goes in only while the owner holds
      // fewer than the cap, the membership only if the row went in, so a burst of parallel creates
      // stops at the cap and a refused one keeps nothing.
      const owned = db
        .select({ n: count() })
        .from(memberships)
        .where(and(eq(memberships.userId, input.ownerUserId), eq(memberships.role, "owner")));
      const membership = {
        workspaceId: id,
        userId: input.ownerUserId,
        role: "owner" as const,
        createdAt: now,
      };
      const [recorded] = await db.batch([
        db.run(insertUnderCap(workspaces, row, owned, cap.limit)),
        db.run(
          insertWhere(
            memberships,
            membership,
            exists(db.select().from(workspaces).where(eq(workspaces.id, id))),
          ),
        ),
      ]);
      if (recorded.rowsAffected === 0) refused = planLimit("workspaces", cap.plan, cap.limit);
    } else {
      await db.insert(workspaces).values(row);
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
  if (refused) throw refused;

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

/**
 * How many workspaces a user may own: the best plan among those they own already (plans belong
 * to workspaces; see workspacesAllowed). An operator changing a plan meanwhile moves the cap by
 * one plan's step at most, which no burst of the owner's can exploit.
 */
async function ownerAllowance(ctx: ServiceContext, userId: string): Promise<{ limit: number; plan: PlanId }> {
  const owned = await controlDb(ctx.config)
    .select({ plan: workspaces.plan })
    .from(memberships)
    .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
    .where(and(eq(memberships.userId, userId), eq(memberships.role, "owner")));
  return workspacesAllowed(owned.map((w) => w.plan));
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
