import { z } from "zod";
import type { WorkspaceNeed } from "../core/access";
import { workspaceScoped } from "../core/schemas";

/** Admin SQL: admins in person, never a key (architecture §5). */
export const SQL_NEEDS = {
  run: { role: "admin", usersOnly: true },
} as const satisfies Record<string, WorkspaceNeed>;

export const executeSqlBody = z.strictObject({
  sql: z.string().min(1).max(100_000),
  args: z
    .array(z.union([z.string(), z.number(), z.boolean(), z.null()]))
    .max(1000)
    .default([]),
  write: z.boolean().default(false),
});
export const executeSqlInput = executeSqlBody.extend(workspaceScoped.shape);

export const SqlResult = z.object({
  columns: z.array(z.string()),
  /** Rows as arrays in `columns` order; blobs are null. */
  rows: z.array(z.array(z.unknown())),
  rowsAffected: z.number().int(),
  /** More rows than the response carries. */
  truncated: z.boolean(),
});
