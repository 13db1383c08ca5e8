import { z } from "zod";
import type { WorkspaceNeed } from "../core/access";
import { workspaceScoped } from "../core/schemas";

/** Admin SQL: admins in person, never a key (architecture §5). */
export const SQL_NEEDS = {
  run: { role: "admin", usersOnly: true },
} as const satisfies Record<string, WorkspaceNeed>;

const statement = z
  .string()
  .min(1)
  .max(100_000)
  .describe(
    "One SQLite statement (no transaction control, ATTACH, PRAGMA or VACUUM; islet's _islet_* tables are out of reach). Bind values with ? placeholders and `args`",
  );
const statementArgs = z
  .array(z.union([z.string(), z.number(), z.boolean(), z.null()]))
  .max(1000)
  .default([])
  .describe("Values for the statement's ? placeholders, in order");

export const executeSqlBody = z.strictObject({
  sql: statement,
  args: statementArgs,
  write: z
    .boolean()
    .default(false)
    .describe("true to run a statement that writes (INSERT, UPDATE, DELETE, CREATE, …); reads need nothing"),
});
export const executeSqlInput = executeSqlBody.extend(workspaceScoped.shape);
/** The read-only form (MCP `query_sql`): a statement that writes is refused. */
export const querySqlInput = workspaceScoped.extend({ sql: statement, args: statementArgs });

export const SqlResult = z.object({
  columns: z.array(z.string()),
  /** Rows as arrays in `columns` order; blobs are null. */
  rows: z.array(z.array(z.unknown())),
  rowsAffected: z.number().int(),
  /** More rows than the response carries. */
  truncated: z.boolean(),
});
