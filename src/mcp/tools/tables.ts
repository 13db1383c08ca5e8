import { z } from "zod";
import {
  AlteredTable,
  alterTable,
  alterTableInput,
  createTable,
  createTableInput,
  dropTable,
  dropTableInput,
  getTable,
  listTables,
  TABLES_NEEDS,
  Table,
  tableTarget,
  workspaceScoped,
} from "../../services/tables";
import { additive, destructive, readOnly, tool, withoutWorkspace } from "../tool";

const { read, write: schemaWrite } = TABLES_NEEDS;

export const tableTools = [
  tool({
    name: "list_tables",
    title: "List tables",
    description: "Every table of the workspace this credential may read, with its columns and indexes.",
    rest: { operationId: "listTables" },
    need: read,
    input: withoutWorkspace(workspaceScoped),
    output: z.object({ tables: z.array(Table) }),
    annotations: readOnly,
    run: async (ctx, input) => ({ tables: await listTables({ ctx, input }) }),
  }),
  tool({
    name: "get_table",
    title: "Describe a table",
    description: "One table's columns (types, formulas, constraints) and indexes.",
    rest: { operationId: "getTable" },
    need: read,
    input: withoutWorkspace(tableTarget),
    output: Table,
    annotations: readOnly,
    run: (ctx, input) => getTable({ ctx, input }),
  }),
  tool({
    name: "create_table",
    title: "Create a table",
    description:
      'Creates a table. Every table gets id, created_at and updated_at; columns are text, integer, real, boolean, json, timestamp (epoch milliseconds), or formula (a JavaScript expression over `row`). Example: {"name":"notes","columns":[{"name":"title","type":"text","notNull":true},{"name":"done","type":"boolean","default":false},{"name":"shout","type":"formula","formula":"row.title.toUpperCase()"}]}',
    rest: { operationId: "createTable" },
    need: schemaWrite,
    input: withoutWorkspace(createTableInput),
    output: Table,
    annotations: additive,
    run: (ctx, input) => createTable({ ctx, input }),
  }),
  tool({
    name: "alter_table",
    title: "Change a table",
    description:
      "Drops or renames columns and indexes, adds columns and indexes, changes formulas: all at once or nothing. Dropping a column deletes its data.",
    rest: { operationId: "alterTable", body: "changes" },
    need: schemaWrite,
    input: withoutWorkspace(alterTableInput),
    output: AlteredTable,
    annotations: { ...destructive, idempotentHint: false },
    run: (ctx, input) => alterTable({ ctx, input }),
  }),
  tool({
    name: "drop_table",
    title: "Drop a table",
    description: "Deletes a table and every row in it. `confirm` must repeat the table's name.",
    rest: { operationId: "dropTable" },
    need: schemaWrite,
    input: withoutWorkspace(dropTableInput),
    output: z.object({ dropped: z.string() }),
    annotations: destructive,
    run: async (ctx, input) => {
      await dropTable({ ctx, input });
      return { dropped: input.table };
    },
  }),
];
