// A domain's section of the workspace archive (architecture §10; the format: src/services/lifecycle/
// workspace-archive.ts). Each domain whose records an export carries declares its section beside
// its verbs (src/services/<domain>/archive.ts): its line types, how the export lists them, and how
// an import plans, writes and undoes them. src/services/inventory/archive.ts collects the sections
// in the archive's order, and the workspace export and import iterate that list, so a section is
// written once, by the domain that knows its records.
import type { Client, InStatement } from "@libsql/client/web";
import { z } from "zod";
import type { ApiError } from "../../lib/errors";
import type { WorkspaceAccess } from "./access";
import type { ServiceContext } from "./context";

/** One line of the archive, where it sits. */
export interface ArchiveLineAt {
  /** 1-based, counted from the start of the archive. */
  number: number;
  /** Byte offset of the line's first byte, and just past its newline. */
  start: number;
  next: number;
  /** An `invalid_request` that names the line: "Archive line N: <problem>". */
  problem(message: string, details?: Record<string, unknown>): ApiError;
}

/** Pass one of an import, for one section: fed the section's lines in order; writes nothing. */
export interface ArchivePlanner<Line, Plan> {
  /** Checks one line (already parsed by its schema); throws `at.problem(…)` to refuse it. */
  add(line: Line, at: ArchiveLineAt): void | Promise<void>;
  /** The section's plan, once the whole archive is read and the end line's counts agree. */
  done(): Plan;
}

/** What an import writes into. */
export interface ImportTarget {
  ctx: ServiceContext;
  access: WorkspaceAccess;
  /** The workspace's database. */
  db: Client;
  /** The text of the archive's lines between two byte offsets (blank lines included), read again. */
  lines(from: number, to: number): Iterable<string>;
}

export interface ArchiveSection<
  Line extends { type: string } = { type: string },
  Plan = unknown,
  Result = object,
> {
  /**
   * Its line types with their schemas, its own first (a table's `row` lines follow it). Each type
   * is counted on the end line as `<type>s`.
   */
  lines: Readonly<Record<string, z.ZodObject>>;
  /** At most this many lines of its own type per archive: each is a full verb (authorized, audited). */
  limit: number;
  /** What messages call its records: "API accounts". */
  noun: string;
  /** Archives made before the section existed have no count for it on their end line: 0. */
  countMayBeAbsent?: boolean;
  /** Its lines, as the domain's list verbs show them (never a secret value). */
  export(ctx: ServiceContext, workspaceId: string): AsyncIterable<{ type: string }>;

  /** Pass one: a planner for one import. */
  plan(): ArchivePlanner<Line, Plan>;
  /** Where the workspace holds such records: a tenant table, or a count kept elsewhere. */
  held: { table: string } | { count(ctx: ServiceContext, workspaceId: string): Promise<number> };
  /** Line types whose records must exist before these are written. */
  after?: readonly string[];
  /** What can be refused before the first write of the import (addresses, plan limits). */
  precheck?(target: ImportTarget, plan: Plan): Promise<void>;
  /** Writes the records, naming each in `made` before its write, so a failed import can undo it. */
  apply(target: ImportTarget, plan: Plan, made: string[]): Promise<Result>;
  /** Work left for after every section is written (a table's formulas are recomputed last). */
  finish?(target: ImportTarget, plan: Plan, applied: Result): Promise<Result>;
  /**
   * Undoes what `made` names: its statements in the workspace's database (one transaction with
   * every section's), then what lives outside it.
   */
  undo: {
    statements?(made: string[]): InStatement[];
    outside?(target: ImportTarget, made: string[]): Promise<void>;
  };
  /** Its fields of the import's answer (WorkspaceImported). */
  result: z.ZodRawShape;
  /** How many it made, for the `workspace.import` audit event. */
  audited(result: Result): Record<string, number>;
}

/** Refuses a name already seen in this section: "Function add appears twice". */
export function onlyOnce(what: string): (name: string, at: ArchiveLineAt) => void {
  const seen = new Set<string>();
  return (name, at) => {
    if (seen.has(name)) throw at.problem(`${what} ${name} appears twice`);
    seen.add(name);
  };
}

/** A section's undo: the rows it made in one tenant table, by their key. */
export const deleteMade =
  (table: string, column: string) =>
  (made: string[]): InStatement[] =>
    made.length === 0
      ? []
      : [
          {
            sql: `DELETE FROM ${table} WHERE ${column} IN (${made.map(() => "?").join(", ")})`,
            args: made,
          },
        ];

/** Records that need a value the archive may lack: those it supplied are `set`, the rest `missing`. */
export const SetAndMissing = z.object({ set: z.array(z.string()), missing: z.array(z.string()) });
export type SetAndMissing = z.infer<typeof SetAndMissing>;
