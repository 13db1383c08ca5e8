// Workspace import, pass one (src/services/lifecycle/workspace-import.ts): the archive read
// whole (bounded), split into lines, and every line parsed and checked. Nothing is written here.
import type { InValue } from "@libsql/client/web";
import { ApiError } from "../../lib/errors";
import { readAtMost } from "../../lib/streams";
import { issuesOf } from "../../lib/validate";
import { checkDefinition } from "../tables/check";
import type { TableDefinition } from "../tables/definition";
import { checkWrite } from "../tables/values";
import {
  ARCHIVE_COUNTS,
  type ArchiveCounts,
  type ArchiveLine,
  type ArchiveRow,
  type ArchiveTable,
  archiveEnd,
  archiveHeader,
  archiveLine,
  SECTION_LIMITS,
  SECTION_ORDER,
  zeroCounts,
} from "./workspace-archive";

type Section<T extends ArchiveLine["type"]> = Extract<ArchiveLine, { type: T }>;

export interface PlannedTable {
  definition: TableDefinition;
  rows: number;
  /** Byte range of the table's row lines in the archive (read again when it is written). */
  start: number;
  end: number;
}

export interface Plan {
  tables: PlannedTable[];
  functions: Section<"function">["function"][];
  webhooks: Section<"webhook">["webhook"][];
  issuers: Section<"issuer">[];
  secrets: Section<"secret">[];
  accounts: Section<"account">[];
}

const lineError = (line: number, problem: string, details: Record<string, unknown> = {}) =>
  new ApiError("invalid_request", `Archive line ${line}: ${problem}`, { details: { line, ...details } });

/** The body, whole: an import is validated entirely before its first write. */
export async function readArchive(
  source: ReadableStream<Uint8Array> | string,
  max: number,
): Promise<Uint8Array> {
  const tooLarge = () => new ApiError("payload_too_large", `An archive is at most ${max} bytes`);
  if (typeof source === "string") {
    const bytes = new TextEncoder().encode(source);
    if (bytes.byteLength > max) throw tooLarge();
    return bytes;
  }
  return readAtMost(source, max, tooLarge);
}

interface Line {
  /** 1-based, counted from the start of the archive. */
  number: number;
  start: number;
  /** Just past the line's newline. */
  next: number;
  text: string;
}

/**
 * The lines of `bytes[from, to)`. Split on the byte 0x0A, which never occurs inside a UTF-8
 * sequence, and decoded strictly: a line that is not UTF-8 is refused, not mangled.
 */
export function* linesOf(
  bytes: Uint8Array,
  from = 0,
  to = bytes.byteLength,
  firstNumber = 1,
): Generator<Line> {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  let number = firstNumber;
  for (let start = from; start < to; number++) {
    const newline = bytes.indexOf(0x0a, start);
    const stop = newline === -1 || newline >= to ? to : newline;
    let text: string;
    try {
      text = decoder.decode(bytes.subarray(start, stop));
    } catch {
      throw lineError(number, "is not UTF-8");
    }
    yield {
      number,
      start,
      next: Math.min(stop + 1, to),
      text: text.endsWith("\r") ? text.slice(0, -1) : text,
    };
    start = stop + 1;
  }
}

/** A row's stored values: system columns as archived, user columns checked, formulas left to recompute. */
export function rowValues(
  table: TableDefinition,
  row: ArchiveRow,
): { system: InValue[]; values: Record<string, InValue> } {
  const { id, created_at, updated_at, ...rest } = row;
  for (const column of table.columns) if (column.type === "formula") delete rest[column.name];
  return { system: [id, created_at, updated_at], values: checkWrite(table, rest, false) };
}

const definitionOf = (line: ArchiveTable, now: number): TableDefinition => ({
  name: line.name,
  columns: line.columns,
  indexes: line.indexes,
  createdAt: now,
  updatedAt: now,
});

function duplicate(seen: Set<string>, name: string, what: string, line: number): void {
  if (seen.has(name)) throw lineError(line, `${what} ${name} appears twice`);
  seen.add(name);
}

/** Pass one: every line parsed and checked, nothing written. */
export async function planImport(bytes: Uint8Array): Promise<Plan> {
  const plan: Plan = { tables: [], functions: [], webhooks: [], issuers: [], secrets: [], accounts: [] };
  const names = new Map<string, Set<string>>();
  const seen = (kind: string) => names.get(kind) ?? names.set(kind, new Set()).get(kind) ?? new Set<string>();
  const counted = zeroCounts();
  let headerSeen = false;
  let end: ArchiveCounts | undefined;
  let section = 0;
  let current: (PlannedTable & { ids: Set<number> }) | undefined;
  const now = Date.now();
  for (const line of linesOf(bytes)) {
    if (line.text.trim() === "") continue;
    if (end) throw lineError(line.number, "nothing may follow the end line");
    let value: unknown;
    try {
      value = JSON.parse(line.text);
    } catch {
      throw lineError(line.number, "is not JSON");
    }
    if (!headerSeen) {
      if (!archiveHeader.safeParse(value).success) {
        throw lineError(line.number, 'must be the header {"type":"islet-workspace-export","version":1}');
      }
      headerSeen = true;
      continue;
    }
    if ((value as { type?: unknown } | null)?.type === "end") {
      const parsed = archiveEnd.safeParse(value);
      if (!parsed.success)
        throw lineError(line.number, "is not a valid end line", { issues: issuesOf(parsed.error) });
      end = parsed.data;
      continue;
    }
    const parsed = archiveLine.safeParse(value);
    if (!parsed.success)
      throw lineError(line.number, "is not a valid archive line", { issues: issuesOf(parsed.error) });
    const entry = parsed.data;
    if (SECTION_ORDER[entry.type] < section) {
      throw lineError(
        line.number,
        `a ${entry.type} line comes too late (sections: tables with their rows, functions, webhooks, issuers, secrets, accounts)`,
      );
    }
    section = SECTION_ORDER[entry.type];
    if (entry.type !== "row") {
      const section = `${entry.type}s` as keyof ArchiveCounts;
      if (++counted[section] > SECTION_LIMITS[entry.type]) {
        throw lineError(line.number, `an archive holds at most ${SECTION_LIMITS[entry.type]} ${section}`);
      }
    }
    switch (entry.type) {
      case "table": {
        duplicate(seen("table"), entry.name, "Table", line.number);
        const definition = definitionOf(entry, now);
        try {
          await checkDefinition(
            definition,
            entry.columns.filter((c) => c.type === "formula"),
          );
        } catch (error) {
          if (error instanceof ApiError) throw lineError(line.number, error.message);
          throw error;
        }
        for (const index of entry.indexes) duplicate(seen("index"), index.name, "Index name", line.number);
        current = { definition, rows: 0, start: line.next, end: line.next, ids: new Set() };
        plan.tables.push(current);
        break;
      }
      case "row": {
        if (!current || entry.table !== current.definition.name) {
          throw lineError(
            line.number,
            `a row of ${entry.table} must follow that table's line, with the table's other rows`,
          );
        }
        if (current.ids.has(entry.row.id))
          throw lineError(line.number, `row id ${entry.row.id} appears twice`);
        current.ids.add(entry.row.id);
        try {
          rowValues(current.definition, entry.row);
        } catch (error) {
          if (error instanceof ApiError) throw lineError(line.number, error.message, { table: entry.table });
          throw error;
        }
        current.rows++;
        current.end = line.next;
        counted.rows++;
        break;
      }
      case "function":
        duplicate(seen("function"), entry.function.name, "Function", line.number);
        plan.functions.push(entry.function);
        break;
      case "webhook":
        plan.webhooks.push(entry.webhook);
        break;
      case "issuer":
        duplicate(seen("issuer"), entry.issuer.issuer, "Issuer", line.number);
        if (
          (entry.issuer.kind === "jwks") !== (entry.issuer.jwksUrl !== null) ||
          (entry.secret && entry.issuer.kind !== "hs256")
        ) {
          throw lineError(
            line.number,
            "jwks issuers take a jwksUrl, hs256 issuers a secret (or none, for a new one)",
          );
        }
        plan.issuers.push(entry);
        break;
      case "secret":
        duplicate(seen("secret"), entry.secret.name, "Secret", line.number);
        plan.secrets.push(entry);
        break;
      case "account":
        duplicate(seen("account"), entry.account.name, "API account", line.number);
        plan.accounts.push(entry);
        break;
    }
  }
  if (!headerSeen) throw new ApiError("invalid_request", "The archive is empty");
  if (!end) throw new ApiError("invalid_request", "The archive has no end line: it is incomplete");
  for (const name of ARCHIVE_COUNTS) {
    if (end[name] !== counted[name]) {
      throw new ApiError(
        "invalid_request",
        `The end line counts ${end[name]} ${name}, the archive holds ${counted[name]}`,
        {
          details: { section: name, expected: end[name], found: counted[name] },
        },
      );
    }
  }
  for (const table of plan.tables) {
    if (seen("index").has(table.definition.name)) {
      throw new ApiError("invalid_request", `The name ${table.definition.name} is both a table and an index`);
    }
  }
  return plan;
}
