// Users' tables and their rows in the workspace archive (src/services/core/archive.ts): a `table`
// line with the definition, then that table's `row` lines as the rows API presents them. The
// section sits with the rows because it reads and writes both, and rows already build on tables.
//
// An import creates each table with all its rows in one transaction, ids and timestamps kept.
// Formula columns are never taken from the archive: they are recomputed by the sandbox after every
// section is written, through the table's resumable recompute (what is left when the request's
// sandbox time runs out is reported, and finished with `PATCH … { resumeRecompute: true }`).
import type { InStatement, InValue } from "@libsql/client/web";
import { z } from "zod";
import { sqliteConstraint } from "../../db/errors";
import { ApiError } from "../../lib/errors";
import { commitWithAudit } from "../audit";
import { type ArchiveLineAt, type ArchiveSection, deleteMade, type ImportTarget } from "../core/archive";
import { assertRoomFor } from "../core/caps";
import type { ServiceContext } from "../core/context";
import { epochMs } from "../core/schemas";
import { listTables } from "../tables";
import { continueRecompute, type RecomputeMeta } from "../tables/alter";
import { nameConflict } from "../tables/catalog";
import { checkDefinition, MAX_COLUMNS, MAX_INDEXES } from "../tables/check";
import type { TableDefinition } from "../tables/definition";
import { columnSchema, indexSchema, newTableStatements, quote, userName } from "../tables/definition";
import { PendingRecompute } from "../tables/schemas";
import { checkWrite } from "../tables/values";
import { listRows } from ".";
import { MAX_PAGE_ROWS } from "./schemas";

const tableLine = z.object({
  type: z.literal("table"),
  name: userName,
  columns: z.array(columnSchema).min(1).max(MAX_COLUMNS),
  indexes: z.array(indexSchema).max(MAX_INDEXES),
});
/** A row as the rows API shows it: its system columns, then the user columns by name. */
const rowLine = z.object({
  type: z.literal("row"),
  table: userName,
  row: z
    .object({
      id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
      created_at: epochMs,
      updated_at: epochMs,
    })
    .catchall(z.unknown()),
});
type Line = z.infer<typeof tableLine> | z.infer<typeof rowLine>;
type ArchiveRow = z.infer<typeof rowLine>["row"];

interface PlannedTable {
  definition: TableDefinition;
  rows: number;
  /** Byte range of the table's row lines in the archive (read again when it is written). */
  start: number;
  end: number;
}

const TableImported = z.object({
  name: z.string(),
  rows: z.number().int(),
  /** The formula recompute ran out of this request's sandbox time: resume it (PATCH the table). */
  pendingRecompute: PendingRecompute.optional(),
});
type Imported = { tables: z.infer<typeof TableImported>[]; rows: number; formulaErrorCount: number };

/** Rows sent to the database per round trip, inside a table's one transaction. */
const INSERT_CHUNK = 500;

/** A row's stored values: system columns as archived, user columns checked, formulas left to recompute. */
function rowValues(
  table: TableDefinition,
  row: ArchiveRow,
): { system: InValue[]; values: Record<string, InValue> } {
  const { id, created_at, updated_at, ...rest } = row;
  for (const column of table.columns) if (column.type === "formula") delete rest[column.name];
  return { system: [id, created_at, updated_at], values: checkWrite(table, rest, false) };
}

async function* exportTables(ctx: ServiceContext, workspaceId: string) {
  for (const table of await listTables({ ctx, input: { workspaceId } })) {
    yield { type: "table", name: table.name, columns: table.columns, indexes: table.indexes };
    let cursor: string | undefined;
    do {
      const page = await listRows({
        ctx,
        input: {
          workspaceId,
          table: table.name,
          query: { filters: [], limit: MAX_PAGE_ROWS, ...(cursor ? { cursor } : {}) },
        },
      });
      for (const row of page.rows) yield { type: "row", table: table.name, row };
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
}

function planTables() {
  const tables: PlannedTable[] = [];
  const names = new Set<string>();
  const indexNames = new Set<string>();
  let current: (PlannedTable & { ids: Set<number> }) | undefined;
  const now = Date.now();
  const addTable = async (line: z.infer<typeof tableLine>, at: ArchiveLineAt) => {
    if (names.has(line.name)) throw at.problem(`Table ${line.name} appears twice`);
    names.add(line.name);
    const definition: TableDefinition = {
      name: line.name,
      columns: line.columns,
      indexes: line.indexes,
      createdAt: now,
      updatedAt: now,
    };
    try {
      await checkDefinition(
        definition,
        line.columns.filter((c) => c.type === "formula"),
      );
    } catch (error) {
      if (error instanceof ApiError) throw at.problem(error.message);
      throw error;
    }
    for (const index of line.indexes) {
      if (indexNames.has(index.name)) throw at.problem(`Index name ${index.name} appears twice`);
      indexNames.add(index.name);
    }
    current = { definition, rows: 0, start: at.next, end: at.next, ids: new Set() };
    tables.push(current);
  };
  const addRow = (line: z.infer<typeof rowLine>, at: ArchiveLineAt) => {
    if (!current || line.table !== current.definition.name) {
      throw at.problem(`a row of ${line.table} must follow that table's line, with the table's other rows`);
    }
    if (current.ids.has(line.row.id)) throw at.problem(`row id ${line.row.id} appears twice`);
    current.ids.add(line.row.id);
    try {
      rowValues(current.definition, line.row);
    } catch (error) {
      if (error instanceof ApiError) throw at.problem(error.message, { table: line.table });
      throw error;
    }
    current.rows++;
    current.end = at.next;
  };
  return {
    add: (line: Line, at: ArchiveLineAt) => (line.type === "table" ? addTable(line, at) : addRow(line, at)),
    done: (): PlannedTable[] => {
      for (const table of tables) {
        if (indexNames.has(table.definition.name)) {
          throw new ApiError(
            "invalid_request",
            `The name ${table.definition.name} is both a table and an index`,
          );
        }
      }
      return tables;
    },
  };
}

/** One table: its definition, catalog entry and every row, in one transaction with its audit event. */
async function importTable({ ctx, db, lines, access }: ImportTarget, table: PlannedTable): Promise<void> {
  const { definition } = table;
  const formulas = definition.columns.filter((c) => c.type === "formula").map((c) => c.name);
  const recompute =
    formulas.length > 0 && table.rows > 0 ? JSON.stringify({ columns: formulas, after: 0 }) : null;
  const placeholders = (n: number) => Array.from({ length: n }, () => "?").join(", ");
  try {
    await commitWithAudit(
      ctx,
      db,
      async (tx) => {
        // An imported table counts against the plan's cap like a created one.
        await assertRoomFor(tx, access.workspace.plan, "tables");
        await tx.batch(newTableStatements(definition, recompute));
        let chunk: InStatement[] = [];
        for (const text of lines(table.start, table.end)) {
          if (text.trim() === "") continue;
          const { row } = JSON.parse(text) as { row: ArchiveRow };
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

export const tablesArchive: ArchiveSection<Line, PlannedTable[], Imported> = {
  lines: { table: tableLine, row: rowLine },
  limit: 1_000,
  noun: "tables",
  export: exportTables,
  plan: planTables,
  held: { table: "_islet_tables" },
  async apply(target, plan, made) {
    for (const table of plan) {
      // Recorded before the call: a commit whose answer was lost may still have landed, and
      // undoing what never happened is harmless (the workspace was empty, the deletes by name).
      made.push(table.definition.name);
      await importTable(target, table);
    }
    return {
      tables: plan.map((t) => ({ name: t.definition.name, rows: t.rows })),
      rows: plan.reduce((sum, t) => sum + t.rows, 0),
      formulaErrorCount: 0,
    };
  },
  async finish({ ctx, db }, plan, applied) {
    const tables: Imported["tables"] = [];
    let formulaErrorCount = 0;
    for (const table of plan) {
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
    return { tables, rows: applied.rows, formulaErrorCount };
  },
  undo: {
    statements: (made) => [
      ...made.map((name) => `DROP TABLE IF EXISTS ${quote(name)}`),
      ...deleteMade("_islet_tables", "name")(made),
    ],
  },
  result: {
    tables: z.array(TableImported),
    rows: z.number().int(),
    formulaErrorCount: z.number().int(),
  },
  audited: (result) => ({ tables: result.tables.length, rows: result.rows }),
};
