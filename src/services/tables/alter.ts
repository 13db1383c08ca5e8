import type { Client, InStatement, InValue, Transaction } from "@libsql/client/web";
import { sqliteConstraint } from "../../db/errors";
import { withCleanupBudget } from "../../lib/deadline";
import { ApiError } from "../../lib/errors";
import { commitWithAudit } from "../audit";
import { parseInput, type ServiceArgs, type ServiceContext } from "../core/context";
import { isBudgetSpent } from "../sandbox-budget";
import {
  assertCatalogUnchanged,
  catalogRowOf,
  nameConflict,
  openTable,
  readTable,
  SCHEMA_WRITE,
  toDefinition,
} from "./catalog";
import { checkDefinition, checkFormulaReferences } from "./check";
import {
  type ColumnDefinition,
  columnDdl,
  indexDdl,
  type PendingRecompute,
  quote,
  SYSTEM_COLUMNS,
  type TableDefinition,
  uniqueIndexDdl,
  uniqueIndexName,
} from "./definition";
import { alterTableInput, type TableChanges } from "./schemas";
import { applyFormulas, type FormulaError, fromSqlValue } from "./values";

export type { TableChanges } from "./schemas";

/** A stored formula column is recomputed for every row when it is added or changed; bounded. */
export const MAX_RECOMPUTE_ROWS = 100_000;
const RECOMPUTE_CHUNK = 1000;
const REPORTED_FORMULA_ERRORS = 100;

interface Plan {
  next: TableDefinition;
  /** DDL in order; runs before any recompute. */
  ddl: string[];
  /** Columns whose formula is new or changed: validated in the sandbox, recomputed for every row. */
  formulas: ColumnDefinition[];
  /** Indexes dropped because a dropped column was part of them. */
  droppedIndexes: string[];
  gone: string[];
}

const notFound = (what: string) => new ApiError("not_found", what);

function userColumn(columns: ColumnDefinition[], name: string, table: string): ColumnDefinition {
  if ((SYSTEM_COLUMNS as readonly string[]).includes(name)) {
    throw new ApiError("invalid_request", `Column ${name} is a system column and cannot change`, {
      details: { column: name },
    });
  }
  const column = columns.find((c) => c.name === name);
  if (!column) throw notFound(`Column ${name} is not a column of ${table}`);
  return column;
}

/** Turns the requested changes into the next definition and the DDL that gets there. */
export function planChanges(table: TableDefinition, changes: TableChanges): Plan {
  const t = quote(table.name);
  let columns = [...table.columns];
  let indexes = [...table.indexes];
  const plan: Omit<Plan, "next"> = { ddl: [], formulas: [], droppedIndexes: [], gone: [] };
  const dropIndex = (name: string) => plan.ddl.push(`DROP INDEX ${quote(name)}`);

  for (const name of changes.dropIndexes ?? []) {
    if (!indexes.some((i) => i.name === name))
      throw notFound(`Index ${name} does not exist on ${table.name}`);
    indexes = indexes.filter((i) => i.name !== name);
    dropIndex(name);
  }
  for (const name of changes.dropColumns ?? []) {
    const column = userColumn(columns, name, table.name);
    // SQLite refuses to drop an indexed column: its indexes go first, as in PostgreSQL.
    if (column.unique) dropIndex(uniqueIndexName(table.name, name));
    for (const index of indexes.filter((i) => i.columns.includes(name))) {
      dropIndex(index.name);
      plan.droppedIndexes.push(index.name);
    }
    indexes = indexes.filter((i) => !i.columns.includes(name));
    columns = columns.filter((c) => c.name !== name);
    plan.ddl.push(`ALTER TABLE ${t} DROP COLUMN ${quote(name)}`);
    plan.gone.push(name);
  }
  for (const { from, to } of changes.renameColumns ?? []) {
    const column = userColumn(columns, from, table.name);
    if (columns.some((c) => c.name === to)) {
      throw new ApiError("conflict", `Column ${to} already exists on ${table.name}`, {
        details: { column: to },
      });
    }
    columns = columns.map((c) => (c === column ? { ...c, name: to } : c));
    indexes = indexes.map((i) => ({ ...i, columns: i.columns.map((c) => (c === from ? to : c)) }));
    plan.ddl.push(`ALTER TABLE ${t} RENAME COLUMN ${quote(from)} TO ${quote(to)}`);
    // SQLite follows the rename inside the index; its name (which carries the column) is redone.
    if (column.unique) {
      dropIndex(uniqueIndexName(table.name, from));
      plan.ddl.push(uniqueIndexDdl(table.name, to));
    }
    plan.gone.push(from);
  }
  for (const column of changes.addColumns ?? []) {
    if (columns.some((c) => c.name === column.name)) {
      throw new ApiError("conflict", `Column ${column.name} already exists on ${table.name}`, {
        details: { column: column.name },
      });
    }
    if (column.notNull && (column.default === undefined || column.default === null)) {
      throw new ApiError(
        "invalid_request",
        `Column ${column.name}: a notNull column added later needs a default`,
        {
          details: { column: column.name },
        },
      );
    }
    columns.push(column);
    plan.ddl.push(`ALTER TABLE ${t} ADD COLUMN ${columnDdl(column)}`);
    if (column.unique) plan.ddl.push(uniqueIndexDdl(table.name, column.name));
    if (column.type === "formula") plan.formulas.push(column);
  }
  for (const { name, formula } of changes.setFormulas ?? []) {
    const column = userColumn(columns, name, table.name);
    if (column.type !== "formula") {
      throw new ApiError("invalid_request", `Column ${name} is not a formula column`, {
        details: { column: name },
      });
    }
    const changed = { ...column, formula };
    columns = columns.map((c) => (c === column ? changed : c));
    plan.formulas = [...plan.formulas.filter((c) => c.name !== name), changed];
  }
  for (const index of changes.addIndexes ?? []) {
    indexes.push(index);
    plan.ddl.push(indexDdl(table.name, index));
  }
  return { ...plan, next: { ...table, columns, indexes, updatedAt: Date.now() } };
}

/** A schema change recomputes every row: refused (413) on a table too large for that. */
async function assertRecomputable(tx: Transaction, table: TableDefinition): Promise<void> {
  const count = Number((await tx.execute(`SELECT count(*) AS n FROM ${quote(table.name)}`)).rows[0]?.n ?? 0);
  if (count > MAX_RECOMPUTE_ROWS) {
    throw new ApiError(
      "payload_too_large",
      `A formula column can be added or changed on tables of up to ${MAX_RECOMPUTE_ROWS} rows (this one has ${count})`,
    );
  }
}

interface RecomputedChunk {
  rows: number;
  errors: FormulaError[];
  errorCount: number;
  /** The last row id of this chunk; the next chunk starts after it. */
  lastId: number;
  /** A full chunk: there may be more rows after `lastId`. */
  more: boolean;
}

/**
 * Recomputes stored formula columns for one chunk of rows (ids after `after`), inside the caller's
 * write transaction: no row can change between computing and writing it. The first chunk runs in
 * the schema change's own transaction; later ones each take the write lock for one chunk only.
 */
async function recomputeChunk(
  ctx: ServiceContext,
  tx: Transaction,
  table: TableDefinition,
  formulas: ColumnDefinition[],
  after: number,
): Promise<RecomputedChunk> {
  const inputs = table.columns.filter((c) => c.type !== "formula");
  const target = { ...table, columns: formulas };
  const update = `UPDATE ${quote(table.name)} SET ${formulas.map((c) => `${quote(c.name)} = ?`).join(", ")} WHERE "id" = ?`;
  const page = await tx.execute({
    sql: `SELECT ${["id", ...inputs.map((c) => c.name)].map(quote).join(", ")} FROM ${quote(table.name)}
          WHERE "id" > ? ORDER BY "id" LIMIT ${RECOMPUTE_CHUNK}`,
    args: [after],
  });
  if (page.rows.length === 0) return { rows: 0, errors: [], errorCount: 0, lastId: after, more: false };
  const rows = page.rows.map((raw) =>
    Object.fromEntries(inputs.map((c) => [c.name, fromSqlValue(c, raw[c.name])])),
  );
  const stored: Record<string, InValue>[] = rows.map(() => ({}));
  const failed = await applyFormulas(ctx, target, rows, stored);
  const errors = failed
    .slice(0, REPORTED_FORMULA_ERRORS)
    .map((error) => ({ ...error, row: Number(page.rows[error.row]?.id) }));
  await tx.batch(
    page.rows.map((raw, i) => ({
      sql: update,
      args: [...formulas.map((c) => stored[i]?.[c.name] ?? null), raw.id as InValue],
    })),
  );
  return {
    rows: page.rows.length,
    errors,
    errorCount: failed.length,
    lastId: Number(page.rows.at(-1)?.id),
    more: page.rows.length === RECOMPUTE_CHUNK,
  };
}

const pendingJson = (columns: ColumnDefinition[], chunk: RecomputedChunk) =>
  chunk.more ? JSON.stringify({ columns: columns.map((c) => c.name), after: chunk.lastId }) : null;

export interface RecomputeMeta {
  recomputedRows: number;
  formulaErrors: FormulaError[];
  formulaErrorCount: number;
  /** Set when this request ran out of sandbox time before the last chunk: resume it. */
  pendingRecompute?: PendingRecompute;
}

function addChunk(meta: RecomputeMeta, chunk: RecomputedChunk): void {
  meta.recomputedRows += chunk.rows;
  meta.formulaErrorCount += chunk.errorCount;
  for (const error of chunk.errors) {
    if (meta.formulaErrors.length < REPORTED_FORMULA_ERRORS) meta.formulaErrors.push(error);
  }
}

/**
 * Recomputes the chunks after the first, each in its own write transaction, so other writers get
 * the lock between chunks (rows they write meanwhile already use the new formula). The catalog's
 * cursor moves with each chunk; it is cleared by the last. A request out of sandbox time stops
 * with the cursor kept (`pendingRecompute`), to be resumed; a change that replaced the recompute
 * (cursor gone or for other columns) ends it.
 */
export async function continueRecompute(
  ctx: ServiceContext,
  db: Client,
  name: string,
  meta: RecomputeMeta,
): Promise<void> {
  for (;;) {
    const tx = await db.transaction("write");
    // The cursor as this chunk found it: where a request out of sandbox time leaves it.
    let pending: PendingRecompute | undefined;
    try {
      const locked = await tx.execute({ sql: "SELECT * FROM _islet_tables WHERE name = ?", args: [name] });
      const row = locked.rows[0];
      const table = row && toDefinition(catalogRowOf(row));
      pending = table?.pendingRecompute;
      if (!table || !pending) {
        await tx.commit();
        return;
      }
      const columns = pending.columns;
      const formulas = table.columns.filter((c) => c.type === "formula" && columns.includes(c.name));
      const chunk = await recomputeChunk(ctx, tx, table, formulas, pending.after);
      await tx.execute({
        sql: "UPDATE _islet_tables SET recompute = ? WHERE name = ?",
        args: [pendingJson(formulas, chunk), name],
      });
      await tx.commit();
      addChunk(meta, chunk);
      if (!chunk.more) return;
    } catch (error) {
      await withCleanupBudget(() => tx.rollback()).catch(() => undefined);
      if (!isBudgetSpent(error)) throw error;
      meta.pendingRecompute = pending;
      return;
    } finally {
      tx.close();
    }
  }
}

/** Changes a table's columns and indexes in one transaction with its `table.alter` audit event. */
export async function alterTable({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; table: string; changes: TableChanges }>): Promise<{
  table: TableDefinition;
  meta: {
    droppedIndexes: string[];
    recomputedRows: number;
    formulaErrors: FormulaError[];
    formulaErrorCount: number;
    pendingRecompute?: PendingRecompute;
  };
}> {
  const input = parseInput(alterTableInput, raw);
  const { db, table: current } = await openTable(ctx, input.workspaceId, input.table, SCHEMA_WRITE);
  const { resumeRecompute, ...changes } = input.changes;
  const onlyResume = resumeRecompute === true && !Object.values(changes).some((l) => (l?.length ?? 0) > 0);
  if (current.pendingRecompute || onlyResume) {
    if (!onlyResume) {
      throw new ApiError(
        "conflict",
        `A formula recompute of ${current.name} is unfinished: resume it first`,
        {
          details: { pendingRecompute: current.pendingRecompute },
        },
      );
    }
    const meta: RecomputeMeta = { recomputedRows: 0, formulaErrors: [], formulaErrorCount: 0 };
    await continueRecompute(ctx, db, current.name, meta);
    return { table: await readTable(db, current.name), meta: { droppedIndexes: [], ...meta } };
  }
  const plan = planChanges(current, changes);
  await checkDefinition(plan.next, plan.formulas);
  checkFormulaReferences(plan.next.columns, plan.gone);
  const details: Record<string, unknown> = { changes: summarize(input.changes) };
  const meta: RecomputeMeta & { droppedIndexes: string[] } = {
    droppedIndexes: plan.droppedIndexes,
    recomputedRows: 0,
    formulaErrors: [],
    formulaErrorCount: 0,
  };
  let recompute: string | null = null;
  try {
    await commitWithAudit(
      ctx,
      db,
      async (tx) => {
        // Re-read under the write lock: a concurrent change is refused, never overwritten.
        await assertCatalogUnchanged(tx, current);
        await tx.batch(plan.ddl);
        if (plan.formulas.length > 0) {
          // The first chunk commits with the change; the rest follow, one lock at a time.
          await assertRecomputable(tx, plan.next);
          const first = await recomputeChunk(ctx, tx, plan.next, plan.formulas, 0);
          addChunk(meta, first);
          recompute = pendingJson(plan.formulas, first);
          details.recomputedRows = first.rows;
          details.formulaErrors = first.errorCount;
          if (recompute) details.recomputeContinues = true;
        }
        if (plan.droppedIndexes.length > 0) details.droppedIndexes = plan.droppedIndexes;
        return [
          {
            sql: "UPDATE _islet_tables SET columns = ?, indexes = ?, updated_at = ?, recompute = ? WHERE name = ?",
            args: [
              JSON.stringify(plan.next.columns),
              JSON.stringify(plan.next.indexes),
              plan.next.updatedAt,
              recompute,
              current.name,
            ],
          } satisfies InStatement,
        ];
      },
      [{ action: "table.alter", targetType: "table", targetId: current.name, details }],
    );
  } catch (error) {
    throw nameConflict(error) ?? alterConstraintError(error) ?? error;
  }
  if (recompute) {
    try {
      await continueRecompute(ctx, db, current.name, meta);
    } catch (error) {
      throw alterConstraintError(error) ?? error;
    }
    return { table: await readTable(db, current.name), meta };
  }
  return { table: plan.next, meta };
}

/** What changed, by name only (never values): the audit event's details. */
function summarize(changes: TableChanges): Record<string, unknown> {
  return {
    ...(changes.dropIndexes?.length && { dropIndexes: changes.dropIndexes }),
    ...(changes.dropColumns?.length && { dropColumns: changes.dropColumns }),
    ...(changes.renameColumns?.length && { renameColumns: changes.renameColumns }),
    ...(changes.addColumns?.length && {
      addColumns: changes.addColumns.map((c) => ({ name: c.name, type: c.type })),
    }),
    ...(changes.setFormulas?.length && { setFormulas: changes.setFormulas.map((c) => c.name) }),
    ...(changes.addIndexes?.length && { addIndexes: changes.addIndexes.map((i) => i.name) }),
    ...(changes.resumeRecompute && { resumeRecompute: true }),
  };
}

/** Existing rows that break a new constraint (a unique index over duplicates, a CHECK on a default). */
function alterConstraintError(error: unknown): ApiError | undefined {
  const violation = sqliteConstraint(error);
  if (!violation || violation.kind === "exists") return undefined;
  const { kind, column } = violation;
  return kind === "unique"
    ? new ApiError("conflict", `Existing rows hold duplicate values${column ? ` in ${column}` : ""}`, {
        details: { column },
      })
    : new ApiError("invalid_request", "Existing rows do not satisfy the new column's constraints", {
        details: { column },
      });
}
