import type { Client, InStatement, InValue, ResultSet, Transaction } from "@libsql/client/web";
import { sqliteConstraint } from "../../db/errors";
import { ApiError } from "../../lib/errors";
import { commitWithAudit } from "../audit";
import { parseInput, type ServiceArgs, type ServiceContext } from "../core/context";
import { publishRowEvents, type RowEvent } from "../hub";
import { assertStorageRoom, noteRowsAdded } from "../storage";
import { assertCatalogUnchanged, openTable } from "../tables/catalog";
import { quote, type TableDefinition } from "../tables/definition";
import { applyFormulas, checkWrite, type FormulaError, fromSqlValue, type RowInput } from "../tables/values";
import { dispatchAfterCommit, outboxStatements } from "../webhooks";
import { columnsOf, countSql, type Filter, type ListQuery, listSql, nextCursor } from "./query";
import {
  countRowsInput,
  insertRowsInput,
  listRowsInput,
  ROWS_NEEDS,
  rowTarget,
  updateRowInput,
} from "./schemas";

export type { Filter, ListQuery } from "./query";
export { FILTER_OPS } from "./query";

export * from "./schemas";

type Row = Record<string, unknown>;

function present(table: TableDefinition, row: Record<string, unknown>): Row {
  const byName = new Map(columnsOf(table).map((c) => [c.name, c]));
  const out: Row = {};
  for (const [name, value] of Object.entries(row)) {
    if (name !== "__sort") out[name] = fromSqlValue(byName.get(name), value);
  }
  return out;
}

const open = (ctx: ServiceContext, workspaceId: string, table: string, write: boolean) =>
  openTable(ctx, workspaceId, table, write ? ROWS_NEEDS.write : ROWS_NEEDS.read);

function constraintError(error: unknown): ApiError | undefined {
  const violation = sqliteConstraint(error);
  if (!violation || violation.kind === "exists") return undefined;
  const { kind, column } = violation;
  return kind === "unique"
    ? new ApiError("conflict", `Column ${column ?? "?"}: value already exists`, { details: { column } })
    : new ApiError("invalid_request", `Column ${column ?? "?"}: value refused`, { details: { column } });
}

/** Commits a row change with its audit event, against the table definition it was built for. */
async function commit(
  ctx: ServiceContext,
  db: Client,
  table: TableDefinition,
  statements: InStatement[] | ((tx: Transaction) => Promise<InStatement[]>),
  action: string,
  details: Record<string, unknown>,
) {
  try {
    return await commitWithAudit(
      ctx,
      db,
      async (tx) => {
        await assertCatalogUnchanged(tx, table);
        return typeof statements === "function" ? statements(tx) : statements;
      },
      // Not copied: a builder may complete the details (read when the event row is made).
      [{ action, targetType: "table", details }],
    );
  } catch (error) {
    throw constraintError(error) ?? error;
  }
}

/**
 * Webhook events of a row change (architecture §8), written to the outbox in the change's own
 * transaction: a write that rolls back announces nothing, one that commits is announced at least
 * once, whatever happens to this Worker after the commit.
 */
function webhookEvents(table: TableDefinition, type: RowEvent["type"], rows: Row[], now: number) {
  return outboxStatements(
    rows.map((row) => ({
      type,
      data: { table: table.name, id: Number(row.id), ...(type === "row.deleted" ? {} : { row }) },
    })),
    now,
  );
}

/**
 * Called only once the write has committed: realtime (architecture §5), and the webhook dispatcher's
 * fast path when the commit wrote outbox events (`outbox`, their results).
 */
function publish(
  ctx: ServiceContext,
  workspaceId: string,
  table: TableDefinition,
  type: RowEvent["type"],
  rows: Row[],
  at: number,
  outbox: ResultSet[],
): void {
  if (outbox.some((r) => r.rowsAffected > 0)) dispatchAfterCommit(ctx, workspaceId);
  publishRowEvents(
    ctx,
    workspaceId,
    rows.map((row) => ({
      type,
      table: table.name,
      id: Number(row.id),
      ...(type === "row.deleted" ? {} : { row }),
      at,
    })),
  );
}

function insertStatement(table: TableDefinition, values: Record<string, InValue>, now: number): InStatement {
  const names = Object.keys(values);
  const columns = ["created_at", "updated_at", ...names].map(quote).join(", ");
  const placeholders = ["?", "?", ...names.map(() => "?")].join(", ");
  return {
    sql: `INSERT INTO ${quote(table.name)} (${columns}) VALUES (${placeholders}) RETURNING *`,
    args: [now, now, ...names.map((n) => values[n] as InValue)],
  };
}

/** Inserts one row or up to 1,000 atomically (one transaction with its audit event). */
export async function insertRows({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; table: string; rows: RowInput[] }>): Promise<{
  rows: Row[];
  meta: { formulaErrors: FormulaError[] };
}> {
  const input = parseInput(insertRowsInput, raw);
  const { db, table, workspace } = await open(ctx, input.workspaceId, input.table, true);
  await assertStorageRoom(ctx, workspace, db);
  const stored = input.rows.map((row) => checkWrite(table, row, false));
  const formulaErrors = await applyFormulas(ctx, table, input.rows, stored);
  const now = Date.now();
  const bulk = input.rows.length > 1;
  let rows: Row[] = [];
  // The rows are inserted first (under the write lock) so that their events, written to the
  // outbox in the same transaction, carry the rows as stored.
  const outbox = await commit(
    ctx,
    db,
    table,
    async (tx) => {
      const results = await tx.batch(stored.map((values) => insertStatement(table, values, now)));
      rows = results.map((r) => present(table, r.rows[0] as unknown as Row));
      return webhookEvents(table, "row.created", rows, now);
    },
    bulk ? "row.bulk_insert" : "row.insert",
    { table: table.name, count: input.rows.length },
  );
  noteRowsAdded(workspace.id, rows.length);
  publish(ctx, input.workspaceId, table, "row.created", rows, now, outbox);
  return { rows, meta: { formulaErrors } };
}

export async function getRow({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; table: string; id: number }>): Promise<Row> {
  const input = parseInput(rowTarget, raw);
  const { db, table } = await open(ctx, input.workspaceId, input.table, false);
  const result = await db.execute({
    sql: `SELECT * FROM ${quote(table.name)} WHERE "id" = ?`,
    args: [input.id],
  });
  const row = result.rows[0];
  if (!row) throw new ApiError("not_found", `Row ${input.id} does not exist`);
  return present(table, row as unknown as Row);
}

/** How many rows of a table match the filters (a list's filters, without its page): for a row count. */
export async function countRows({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; table: string; filters: Filter[] }>): Promise<number> {
  const input = parseInput(countRowsInput, raw);
  const { db, table } = await open(ctx, input.workspaceId, input.table, false);
  const result = await db.execute(countSql(table, input.filters));
  return Number(result.rows[0]?.n ?? 0);
}

/** Updates named columns; formulas are recomputed over the merged row. */
export async function updateRow({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; table: string; id: number; values: RowInput }>): Promise<{
  row: Row;
  meta: { formulaErrors: FormulaError[] };
}> {
  const input = parseInput(updateRowInput, raw);
  const { db, table, workspace } = await open(ctx, input.workspaceId, input.table, true);
  // An update can grow a row as much as an insert adds one: past the cap both are refused.
  await assertStorageRoom(ctx, workspace, db);
  const changes = checkWrite(table, input.values, true);
  let formulaErrors: FormulaError[] = [];
  const details = { table: table.name, id: input.id, columns: [] as string[] };
  // The row is read and its formulas computed under the write lock: two concurrent updates of
  // different columns cannot leave a formula computed from a version of the row that is gone.
  let written: Row | undefined;
  const outbox = await commit(
    ctx,
    db,
    table,
    async (tx) => {
      const current = await tx.execute({
        sql: `SELECT * FROM ${quote(table.name)} WHERE "id" = ?`,
        args: [input.id],
      });
      if (!current.rows[0]) throw new ApiError("not_found", `Row ${input.id} does not exist`);
      const merged = { ...present(table, current.rows[0] as unknown as Row), ...input.values };
      formulaErrors = await applyFormulas(ctx, table, [merged], [changes]);
      const names = Object.keys(changes);
      details.columns = names;
      if (names.length === 0) throw new ApiError("invalid_request", "Nothing to update");
      const updated = await tx.execute({
        sql: `UPDATE ${quote(table.name)} SET ${[...names, "updated_at"].map((n) => `${quote(n)} = ?`).join(", ")} WHERE "id" = ? RETURNING *`,
        args: [...names.map((n) => changes[n] as InValue), Date.now(), input.id],
      });
      if (!updated.rows[0]) throw new ApiError("not_found", `Row ${input.id} does not exist`);
      written = present(table, updated.rows[0] as unknown as Row);
      return webhookEvents(table, "row.updated", [written], Date.now());
    },
    "row.update",
    details,
  );
  if (!written) throw new ApiError("not_found", `Row ${input.id} does not exist`);
  const row: Row = written;
  publish(ctx, input.workspaceId, table, "row.updated", [row], Date.now(), outbox);
  return { row, meta: { formulaErrors } };
}

export async function deleteRow({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; table: string; id: number }>): Promise<void> {
  const input = parseInput(rowTarget, raw);
  const { db, table, workspace } = await open(ctx, input.workspaceId, input.table, true);
  const exists = await db.execute({
    sql: `SELECT 1 FROM ${quote(table.name)} WHERE "id" = ?`,
    args: [input.id],
  });
  if (!exists.rows[0]) throw new ApiError("not_found", `Row ${input.id} does not exist`);
  const now = Date.now();
  const [, ...outbox] = await commit(
    ctx,
    db,
    table,
    [
      { sql: `DELETE FROM ${quote(table.name)} WHERE "id" = ?`, args: [input.id] },
      ...webhookEvents(table, "row.deleted", [{ id: input.id }], now),
    ],
    "row.delete",
    { table: table.name, id: input.id },
  );
  noteRowsAdded(workspace.id, -1);
  publish(ctx, input.workspaceId, table, "row.deleted", [{ id: input.id }], now, outbox);
}

export async function listRows({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; table: string; query: ListQuery }>): Promise<{
  rows: Row[];
  nextCursor: string | null;
}> {
  const input = parseInput(listRowsInput, raw);
  const { db, table } = await open(ctx, input.workspaceId, input.table, false);
  const result = await db.execute(listSql(table, input.query));
  const fetched = result.rows as unknown as Row[];
  const page = fetched.slice(0, input.query.limit);
  const last = page.at(-1);
  return {
    rows: page.map((r) => present(table, r)),
    nextCursor: fetched.length > input.query.limit && last ? nextCursor(table, input.query, last) : null,
  };
}
