import { z } from "zod";
import {
  deleteRow,
  getRow,
  insertRows,
  insertRowsInput,
  listRows,
  listRowsInput,
  ROWS_NEEDS,
  Row,
  RowsPage,
  rowTarget,
  updateRow,
  updateRowInput,
  WrittenRow,
  WrittenRows,
} from "../../services/rows";
import { additive, destructive, overwriting, readOnly, tool, withoutWorkspace } from "../tool";

const { read, write } = ROWS_NEEDS;

export const rowTools = [
  tool({
    name: "list_rows",
    title: "List rows",
    description:
      'A page of a table\'s rows; only `table` is required (then the first 100 rows by id). Optional `query`: filters [{column, op, value}] with op eq ne lt lte gt gte in like is_null (`in`: "a,b,c"; `is_null`: true|false; timestamps in epoch milliseconds), sort (`col` or `-col`), fields, limit (1–1000, default 100) and the previous page\'s nextCursor. Example: {"table":"notes","query":{"filters":[{"column":"done","op":"eq","value":false}],"sort":"-created_at","limit":10}}',
    rest: { operationId: "listRows", query: "query" },
    need: read,
    input: withoutWorkspace(listRowsInput),
    output: RowsPage,
    annotations: readOnly,
    run: (ctx, input) => listRows({ ctx, input }),
  }),
  tool({
    name: "get_row",
    title: "Read a row",
    description: "One row by id (`not_found` when there is none).",
    rest: { operationId: "getRow" },
    need: read,
    input: withoutWorkspace(rowTarget),
    output: z.object({ row: Row }),
    annotations: readOnly,
    run: async (ctx, input) => ({ row: await getRow({ ctx, input }) }),
  }),
  tool({
    name: "insert_rows",
    title: "Insert rows",
    description:
      'Inserts 1 to 1000 rows in one transaction (all or none); formula columns are computed and id, created_at, updated_at assigned. Example: {"table":"notes","rows":[{"title":"milk","done":false}]}',
    rest: { operationId: "insertRows" },
    need: write,
    input: withoutWorkspace(insertRowsInput),
    output: WrittenRows,
    annotations: additive,
    run: (ctx, input) => insertRows({ ctx, input }),
  }),
  tool({
    name: "update_row",
    title: "Update a row",
    description: "Sets the named columns of one row, leaving the others; formulas are recomputed.",
    rest: { operationId: "updateRow", body: "values" },
    need: write,
    input: withoutWorkspace(updateRowInput),
    output: WrittenRow,
    annotations: overwriting,
    run: (ctx, input) => updateRow({ ctx, input }),
  }),
  tool({
    name: "delete_row",
    title: "Delete a row",
    description: "Deletes one row by id.",
    rest: { operationId: "deleteRow" },
    need: write,
    input: withoutWorkspace(rowTarget),
    output: z.object({ deleted: z.number().int() }),
    annotations: destructive,
    run: async (ctx, input) => {
      await deleteRow({ ctx, input });
      return { deleted: input.id };
    },
  }),
];
