import { getTableColumns, SQL, type SQLWrapper, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";

/**
 * `INSERT INTO <table> (<columns>) SELECT <values> WHERE <condition>`: a row inserted only if a
 * condition holds, decided in the same statement. SQLite takes the write lock when an INSERT
 * starts, before its SELECT reads anything, so no other writer can change what the condition saw
 * (https://www.sqlite.org/lockingv3.html). Values are encoded by their columns, as drizzle's own
 * `insert().values()` does (JSON and boolean modes included), and column defaults from
 * `$defaultFn` are applied to fields the row leaves out. `rowsAffected` is 0 when it held not.
 */
export function insertWhere<T extends SQLiteTable>(table: T, row: T["$inferInsert"], condition: SQL): SQL {
  const names: SQL[] = [];
  const values: SQL[] = [];
  const given = row as Record<string, unknown>;
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = given[key] !== undefined ? given[key] : column.defaultFn?.();
    if (value === undefined) continue;
    names.push(sql`${sql.identifier(column.name)}`);
    values.push(value instanceof SQL ? value : sql`${sql.param(value, column)}`);
  }
  return sql`INSERT INTO ${table} (${sql.join(names, sql`, `)}) SELECT ${sql.join(values, sql`, `)} WHERE ${condition}`;
}

/**
 * A row inserted only while `counted` (a one-column `count()` select, e.g. the workspace's live
 * keys) is below `cap`, in one statement: a burst of parallel creates leaves exactly `cap` rows,
 * where a count followed by an insert lets every request of the burst see room and pass.
 */
export const insertUnderCap = <T extends SQLiteTable>(
  table: T,
  row: T["$inferInsert"],
  counted: SQLWrapper,
  cap: number,
): SQL => insertWhere(table, row, sql`${counted} < ${cap}`);
