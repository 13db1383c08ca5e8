// Workspace import (architecture §10, issue 18): restores an archive made by the export
// (src/services/lifecycle/workspace-archive.ts) into an empty workspace. Each section of the
// archive is its domain's (src/services/core/archive.ts); this file runs them.
//
// - The whole archive is read (up to MAX_IMPORT_BYTES) and validated line by line before anything
//   is written: the header, the order of sections, every line by its section's planner (every
//   table definition, every row against its table, the names), and the `end` line's counts (a
//   truncated archive is refused). What a section can refuse before a write (addresses, plan
//   limits) it refuses next.
// - The sections are written in the archive's order, except that a section comes after those it
//   needs (a function's secrets first); each record through its domain's own verb, so it is checked
//   and audited as if made by hand. Work a section leaves for last (a table's formulas, recomputed
//   by the sandbox, resumable) runs after every section is written.
// - A failure after the first write undoes everything this import made, so the workspace is empty
//   again (the audit log keeps what happened).
import type { Client, InStatement } from "@libsql/client/web";
import { withCleanupBudget } from "../../lib/deadline";
import { ApiError } from "../../lib/errors";
import { commitWithAudit, recordAudit } from "../audit";
import { authorizeWorkspace, type WorkspaceAccess } from "../core/access";
import type { ArchiveSection, ImportTarget } from "../core/archive";
import { parseInput, type ServiceArgs, type ServiceContext } from "../core/context";
import { workspaceScoped } from "../core/schemas";
import { ARCHIVE_SECTIONS, IMPORT_ORDER, lineTypes } from "../inventory/archive";
import { linesOf, type Plan, planImport, readArchive } from "./import-plan";
import { WORKSPACE_ARCHIVE_NEEDS } from "./schemas";
import type { WorkspaceImported } from "./workspace-archive";

/** How long undoing a failed import may take, whatever the request had left. */
const UNDO_MS = 10_000;

/** What this import has made so far, by section (`tables`, `functions`, …): what a failure undoes. */
type Made = Record<string, string[]>;
const madeKey = (section: ArchiveSection) => `${lineTypes(section)[0]}s`;

/** "a, b or c" */
const either = (words: string[]) =>
  words.length > 1 ? `${words.slice(0, -1).join(", ")} or ${words.at(-1)}` : (words[0] ?? "");

/** Refuses (409) a workspace that holds anything: an import never merges. */
async function assertEmpty(ctx: ServiceContext, access: WorkspaceAccess, db: Client): Promise<void> {
  const tables = ARCHIVE_SECTIONS.flatMap(({ held }) => ("table" in held ? [held.table] : []));
  const heldHere = await db.execute(
    `SELECT ${tables.map((table) => `(SELECT count(*) FROM ${table})`).join(" + ")} AS n`,
  );
  let n = Number(heldHere.rows[0]?.n ?? 0);
  for (const { held } of ARCHIVE_SECTIONS) {
    if ("count" in held) n += await held.count(ctx, access.workspace.id);
  }
  if (n > 0) {
    throw new ApiError(
      "conflict",
      `An import goes into an empty workspace: this one already has ${either(ARCHIVE_SECTIONS.map((s) => s.noun))}`,
    );
  }
}

/** Undoes what a failed import made (best effort, logged): the workspace is empty again. */
async function undoImport(target: ImportTarget, made: Made, cause: unknown): Promise<void> {
  const { ctx, access, db } = target;
  const statements: InStatement[] = ARCHIVE_SECTIONS.flatMap(
    (section) => section.undo.statements?.(made[madeKey(section)] ?? []) ?? [],
  );
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
    for (const section of ARCHIVE_SECTIONS)
      await section.undo.outside?.(target, made[madeKey(section)] ?? []);
  } catch (error) {
    ctx.logger.error("workspace import: undoing a failed import failed", {
      workspaceId: access.workspace.id,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/** Pass two: every section written, then each one's work left for last; their answers merged. */
async function applyPlan(target: ImportTarget, plan: Plan, made: Made): Promise<WorkspaceImported> {
  const results = new Map<ArchiveSection, object>();
  for (const section of IMPORT_ORDER) {
    results.set(section, await section.apply(target, plan.get(section), made[madeKey(section)] ?? []));
  }
  for (const section of IMPORT_ORDER) {
    const applied = results.get(section) as object;
    if (section.finish) results.set(section, await section.finish(target, plan.get(section), applied));
  }
  return Object.assign({}, ...ARCHIVE_SECTIONS.map((section) => results.get(section)));
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
  const access = await authorizeWorkspace(ctx, workspaceId, WORKSPACE_ARCHIVE_NEEDS.import);
  const db = await access.db();
  await assertEmpty(ctx, access, db);
  const bytes = await readArchive(raw.archive, ctx.config.MAX_IMPORT_BYTES);
  const plan = await planImport(bytes);
  const target: ImportTarget = {
    ctx,
    access,
    db,
    *lines(from, to) {
      for (const line of linesOf(bytes, from, to)) yield line.text;
    },
  };
  for (const section of IMPORT_ORDER) await section.precheck?.(target, plan.get(section));
  const made: Made = Object.fromEntries(ARCHIVE_SECTIONS.map((section) => [madeKey(section), []]));
  let imported: WorkspaceImported;
  try {
    imported = await applyPlan(target, plan, made);
    await recordAudit(ctx, db, {
      action: "workspace.import",
      targetType: "workspace",
      targetId: access.workspace.id,
      details: Object.assign({}, ...ARCHIVE_SECTIONS.map((section) => section.audited(imported))),
    });
  } catch (error) {
    // Under a budget of its own: the request's may be what ran out.
    await withCleanupBudget(() => undoImport(target, made, error), UNDO_MS);
    throw error;
  }
  return imported;
}
