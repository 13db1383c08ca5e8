// Workspace import (DESIGN §10, issue 18): restores an archive made by the export
// (src/services/lifecycle/workspace-archive.ts) into an empty workspace.
//
// - The whole archive is read (up to MAX_IMPORT_BYTES) and validated line by line before anything
//   is written: the header, the order of sections, every table definition, every row against its
//   table, the names, and the `end` line's counts (a truncated archive is refused).
// - Each table is created with all its rows in one transaction, ids and timestamps kept. Formula
//   columns are never taken from the archive: they are recomputed by the sandbox after the rows
//   are in, through the table's resumable recompute (what is left, if the request's sandbox time
//   runs out, is reported and finished with `PATCH … { resumeRecompute: true }`).
// - Functions, webhooks, issuers, secrets and API accounts are created through their own verbs,
//   so each is checked and audited as if made by hand. Webhooks get new signing secrets, and
//   hs256 issuers without a supplied secret a new one: both are returned this once.
// - A failure after the first write undoes everything this import made, so the workspace is empty
//   again (the audit log keeps what happened).
import type { Client, InStatement, InValue } from "@libsql/client/web";
import { count, eq } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { issuers as issuersTable } from "../../db/control/schema";
import { sqliteConstraint } from "../../db/errors";
import { randomBytes } from "../../lib/crypto";
import { withCleanupBudget } from "../../lib/deadline";
import { bytesToBase64Url } from "../../lib/encoding";
import { ApiError } from "../../lib/errors";
import { PLANS } from "../../lib/plans";
import { putAccount } from "../accounts";
import { commitWithAudit, recordAudit } from "../audit";
import { authorizeWorkspace, requireUser, type WorkspaceAccess } from "../core/access";
import { parseInput, type ServiceArgs, type ServiceContext } from "../core/context";
import { workspaceScoped } from "../core/schemas";
import { createFunction } from "../functions";
import { createIssuer, deleteIssuer } from "../issuers/manage";
import { checkedTargetUrl } from "../outbound";
import { setSecret } from "../secrets";
import { continueRecompute, type RecomputeMeta } from "../tables/alter";
import { nameConflict } from "../tables/catalog";
import { newTableStatements, quote } from "../tables/definition";
import { requireVerifiedEmail } from "../verified";
import { createWebhook, updateWebhook } from "../webhooks";
import { linesOf, type Plan, type PlannedTable, planImport, readArchive, rowValues } from "./import-plan";
import type { ArchiveRow, WorkspaceImported } from "./workspace-archive";

/** How long undoing a failed import may take, whatever the request had left. */
const UNDO_MS = 10_000;

/** Rows sent to the database per round trip, inside a table's one transaction. */
const INSERT_CHUNK = 500;

/** What this import has made so far: what a failure undoes. */
interface Made {
  tables: string[];
  functions: string[];
  webhooks: string[];
  issuers: string[];
  secrets: string[];
  accounts: string[];
}

/** Refuses (409) a workspace that holds anything: an import never merges. */
async function assertEmpty(ctx: ServiceContext, access: WorkspaceAccess, db: Client): Promise<void> {
  const held = await db.execute(
    `SELECT (SELECT count(*) FROM _islet_tables) + (SELECT count(*) FROM _islet_functions)
       + (SELECT count(*) FROM _islet_webhooks) + (SELECT count(*) FROM _islet_secrets)
       + (SELECT count(*) FROM _islet_api_accounts) AS n`,
  );
  const [issuers] = await controlDb(ctx.config)
    .select({ n: count() })
    .from(issuersTable)
    .where(eq(issuersTable.workspaceId, access.workspace.id));
  if (Number(held.rows[0]?.n ?? 0) + (issuers?.n ?? 0) > 0) {
    throw new ApiError(
      "conflict",
      "An import goes into an empty workspace: this one already has tables, functions, webhooks, issuers, secrets or API accounts",
    );
  }
}

/** What can be refused before the first write is refused then: addresses, plan limits, email. */
async function precheck(ctx: ServiceContext, access: WorkspaceAccess, plan: Plan): Promise<void> {
  for (const webhook of plan.webhooks) await checkedTargetUrl(ctx.config, "url", webhook.url);
  for (const entry of plan.accounts) {
    if (entry.authHeaderValue) await checkedTargetUrl(ctx.config, "baseUrl", entry.account.baseUrl);
  }
  if (plan.issuers.length === 0) return;
  for (const entry of plan.issuers) {
    if (entry.issuer.jwksUrl) await checkedTargetUrl(ctx.config, "jwksUrl", entry.issuer.jwksUrl);
  }
  await requireVerifiedEmail(ctx, requireUser(ctx).userId);
  const max = PLANS[access.workspace.plan].maxIssuers;
  if (plan.issuers.filter((e) => !e.issuer.disabledAt).length > max) {
    throw new ApiError("plan_required", `The ${access.workspace.plan} plan allows ${max} issuers`, {
      details: { limit: max, plan: access.workspace.plan },
    });
  }
}

const placeholders = (n: number) => Array.from({ length: n }, () => "?").join(", ");

/** One table: its definition, catalog entry and every row, in one transaction with its audit event. */
async function importTable(
  ctx: ServiceContext,
  db: Client,
  bytes: Uint8Array,
  table: PlannedTable,
): Promise<void> {
  const { definition } = table;
  const formulas = definition.columns.filter((c) => c.type === "formula").map((c) => c.name);
  const recompute =
    formulas.length > 0 && table.rows > 0 ? JSON.stringify({ columns: formulas, after: 0 }) : null;
  try {
    await commitWithAudit(
      ctx,
      db,
      async (tx) => {
        await tx.batch(newTableStatements(definition, recompute));
        let chunk: InStatement[] = [];
        for (const line of linesOf(bytes, table.start, table.end)) {
          if (line.text.trim() === "") continue;
          const { row } = JSON.parse(line.text) as { row: ArchiveRow };
          const { system, values } = rowValues(definition, row);
          const names = Object.keys(values);
          chunk.push({
            sql: `INSERT INTO ${quote(definition.name)} (${["id", "created_at", "updated_at", ...names].map(quote).join(", ")})
                  VALUES (${placeholders(system.length + names.length)})`,
            args: [...system, ...names.map((n) => values[n] as InValue)],
          });
          if (chunk.length === INSERT_CHUNK) {
            await tx.batch(chunk);
            chunk = [];
          }
        }
        return chunk;
      },
      [
        {
          action: "table.import",
          targetType: "table",
          targetId: definition.name,
          details: {
            rows: table.rows,
            columns: definition.columns.length,
            indexes: definition.indexes.length,
          },
        },
      ],
    );
  } catch (error) {
    const conflict = nameConflict(error);
    if (conflict) throw conflict;
    const violation = sqliteConstraint(error);
    if (violation && violation.kind !== "exists") {
      throw new ApiError(
        violation.kind === "unique" ? "conflict" : "invalid_request",
        `Table ${definition.name}: its rows break a constraint${violation.column ? ` on ${violation.column}` : ""}`,
        { details: { table: definition.name, column: violation.column } },
      );
    }
    throw error;
  }
}

/** Undoes what a failed import made (best effort, logged): the workspace is empty again. */
async function undoImport(
  ctx: ServiceContext,
  access: WorkspaceAccess,
  db: Client,
  made: Made,
  cause: unknown,
): Promise<void> {
  const deletes: [string, string, string[]][] = [
    ["_islet_tables", "name", made.tables],
    ["_islet_functions", "name", made.functions],
    ["_islet_webhooks", "id", made.webhooks],
    ["_islet_secrets", "name", made.secrets],
    ["_islet_api_accounts", "name", made.accounts],
  ];
  const statements: InStatement[] = [
    ...made.tables.map((name) => `DROP TABLE IF EXISTS ${quote(name)}`),
    ...deletes
      .filter(([, , names]) => names.length > 0)
      .map(([table, column, names]) => ({
        sql: `DELETE FROM ${table} WHERE ${column} IN (${placeholders(names.length)})`,
        args: names,
      })),
  ];
  try {
    if (statements.length > 0) {
      await commitWithAudit(ctx, db, statements, [
        {
          action: "workspace.import_undone",
          targetType: "workspace",
          targetId: access.workspace.id,
          details: {
            code: cause instanceof ApiError ? cause.code : "internal",
            ...Object.fromEntries(Object.entries(made).map(([kind, names]) => [kind, names.length])),
          },
        },
      ]);
    }
    for (const issuerId of made.issuers) {
      await deleteIssuer({ ctx, input: { workspaceId: access.workspace.id, issuerId } });
    }
  } catch (error) {
    ctx.logger.error("workspace import: undoing a failed import failed", {
      workspaceId: access.workspace.id,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/** Pass two: everything written, in the archive's order; formulas recomputed last. */
async function applyPlan(
  ctx: ServiceContext,
  access: WorkspaceAccess,
  db: Client,
  bytes: Uint8Array,
  plan: Plan,
  made: Made,
): Promise<WorkspaceImported> {
  const workspaceId = access.workspace.id;
  for (const table of plan.tables) {
    // Recorded before the call: a commit whose answer was lost may still have landed, and
    // undoing what never happened is harmless (the workspace was empty, the deletes by name).
    made.tables.push(table.definition.name);
    await importTable(ctx, db, bytes, table);
  }
  const secrets = { set: [] as string[], missing: [] as string[] };
  for (const entry of plan.secrets) {
    if (entry.value === undefined) {
      secrets.missing.push(entry.secret.name);
      continue;
    }
    made.secrets.push(entry.secret.name);
    await setSecret({
      ctx,
      input: { workspaceId, name: entry.secret.name, kind: entry.secret.kind, value: entry.value },
    });
    secrets.set.push(entry.secret.name);
  }
  const accounts = { set: [] as string[], missing: [] as string[] };
  for (const entry of plan.accounts) {
    if (entry.authHeaderValue === undefined) {
      accounts.missing.push(entry.account.name);
      continue;
    }
    made.accounts.push(entry.account.name);
    await putAccount({
      ctx,
      input: { workspaceId, ...entry.account, authHeaderValue: entry.authHeaderValue },
    });
    accounts.set.push(entry.account.name);
  }
  for (const fn of plan.functions) {
    made.functions.push(fn.name);
    await createFunction({ ctx, input: { workspaceId, ...fn } });
  }
  const webhooks: WorkspaceImported["webhooks"] = [];
  for (const { enabled, ...webhook } of plan.webhooks) {
    const created = await createWebhook({ ctx, input: { workspaceId, ...webhook } });
    made.webhooks.push(created.webhook.id);
    if (!enabled) {
      created.webhook = await updateWebhook({
        ctx,
        input: { workspaceId, webhookId: created.webhook.id, changes: { enabled: false } },
      });
    }
    webhooks.push(created);
  }
  const issuers: WorkspaceImported["issuers"] = [];
  const skippedIssuers: string[] = [];
  for (const entry of plan.issuers) {
    // One that was disabled (its creator lost the authority, or it was shut off) stays off: it is
    // reported, not re-registered, so an import never turns trust back on.
    if (entry.issuer.disabledAt) {
      skippedIssuers.push(entry.issuer.issuer);
      continue;
    }
    const { jwksUrl, disabledAt: _disabled, ...rest } = entry.issuer;
    // A new hs256 secret when none came with the archive: 256 random bits (RFC 7518 §3.2).
    const fresh = rest.kind === "hs256" && !entry.secret ? bytesToBase64Url(randomBytes(32)) : undefined;
    const issuer = await createIssuer({
      ctx,
      input: {
        workspaceId,
        ...rest,
        ...(jwksUrl ? { jwksUrl } : {}),
        ...(rest.kind === "hs256" ? { secret: entry.secret ?? fresh } : {}),
      },
    });
    made.issuers.push(issuer.id);
    issuers.push(fresh ? { issuer, secret: fresh } : { issuer });
  }
  const tables: WorkspaceImported["tables"] = [];
  let formulaErrorCount = 0;
  for (const table of plan.tables) {
    const meta: RecomputeMeta = { recomputedRows: 0, formulaErrors: [], formulaErrorCount: 0 };
    if (table.rows > 0 && table.definition.columns.some((c) => c.type === "formula")) {
      await continueRecompute(ctx, db, table.definition.name, meta);
    }
    formulaErrorCount += meta.formulaErrorCount;
    tables.push({
      name: table.definition.name,
      rows: table.rows,
      ...(meta.pendingRecompute ? { pendingRecompute: meta.pendingRecompute } : {}),
    });
  }
  return {
    tables,
    rows: plan.tables.reduce((sum, t) => sum + t.rows, 0),
    formulaErrorCount,
    functions: plan.functions.map((f) => f.name),
    webhooks,
    issuers,
    skippedIssuers,
    secrets,
    accounts,
  };
}

/** `POST /v1/workspaces/:id/import`: an export archive into this empty workspace (admins, in person). */
export async function importWorkspace({
  ctx,
  input: raw,
}: ServiceArgs<{
  workspaceId: string;
  archive: ReadableStream<Uint8Array> | string;
}>): Promise<WorkspaceImported> {
  const { workspaceId } = parseInput(workspaceScoped, { workspaceId: raw.workspaceId });
  const access = await authorizeWorkspace(ctx, workspaceId, {
    role: "admin",
    scope: "schema:write",
    usersOnly: true,
  });
  const db = await access.db();
  await assertEmpty(ctx, access, db);
  const bytes = await readArchive(raw.archive, ctx.config.MAX_IMPORT_BYTES);
  const plan = await planImport(bytes);
  await precheck(ctx, access, plan);
  const made: Made = { tables: [], functions: [], webhooks: [], issuers: [], secrets: [], accounts: [] };
  let imported: WorkspaceImported;
  try {
    imported = await applyPlan(ctx, access, db, bytes, plan, made);
    await recordAudit(ctx, db, {
      action: "workspace.import",
      targetType: "workspace",
      targetId: access.workspace.id,
      details: {
        tables: imported.tables.length,
        rows: imported.rows,
        functions: imported.functions.length,
        webhooks: imported.webhooks.length,
        issuers: imported.issuers.length,
        secrets: imported.secrets.set.length,
        accounts: imported.accounts.set.length,
      },
    });
  } catch (error) {
    // Under a budget of its own: the request's may be what ran out.
    await withCleanupBudget(() => undoImport(ctx, access, db, made, error), UNDO_MS);
    throw error;
  }
  return imported;
}
