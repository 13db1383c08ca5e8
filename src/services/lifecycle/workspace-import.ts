// Workspace import (DESIGN §10, issue 18): restores an archive made by the export
// (src/services/lifecycle/workspace-archive.ts) into an empty workspace.
//
// - The whole archive is read (up to MAX_IMPORT_BYTES) and validated line by line before anything
//   is written: the header, the order of sections, every table definition, every row against its
//   table, the names, and the `end` line's counts (a truncated archive is refused).
// - Each table is created with all its rows in one transaction, ids and timestamps kept. Formula
//   columns are never taken from the archive: they are recomputed by the sandbox after the rows
//   are in, through the table's resumable recompute (what is left, if the request's sandbox time
//   runs out, is reported and finished with `PATCH … { resumeRecompute: true }`).
// - Functions, webhooks, issuers, secrets and API accounts are created through their own verbs,
//   so each is checked and audited as if made by hand. Webhooks get new signing secrets, and
//   hs256 issuers without a supplied secret a new one: both are returned this once.
// - A failure after the first write undoes everything this import made, so the workspace is empty
//   again (the audit log keeps what happened).
import type { Client, InStatement, InValue } from "@libsql/client/web";
import { count, eq } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { issuers as issuersTable } from "../../db/control/schema";
import { sqliteConstraint } from "../../db/errors";
import { randomBytes } from "../../lib/crypto";
import { bytesToBase64Url } from "../../lib/encoding";
import { ApiError } from "../../lib/errors";
import { PLANS } from "../../lib/plans";
import { issuesOf } from "../../lib/validate";
import { authorizeWorkspace, requireUser, type WorkspaceAccess } from "../access";
import { putAccount } from "../accounts";
import { commitWithAudit, recordAudit } from "../audit";
import { parseInput, type ServiceArgs, type ServiceContext } from "../context";
import { createFunction } from "../functions";
import { createIssuer, deleteIssuer } from "../issuers/manage";
import { checkedTargetUrl } from "../outbound";
import { workspaceScoped } from "../schemas";
import { setSecret } from "../secrets";
import { continueRecompute, type RecomputeMeta } from "../tables/alter";
import { nameConflict } from "../tables/catalog";
import { checkDefinition } from "../tables/check";
import { createTableStatements, quote, type TableDefinition } from "../tables/definition";
import { checkWrite } from "../tables/values";
import { requireVerifiedEmail } from "../verified";
import { createWebhook, updateWebhook } from "../webhooks";
import type { WorkspaceImported } from "./schemas";
import {
  ARCHIVE_COUNTS,
  type ArchiveCounts,
  type ArchiveLine,
  type ArchiveRow,
  type ArchiveTable,
  archiveEnd,
  archiveHeader,
  archiveLine,
  SECTION_ORDER,
} from "./workspace-archive";

/** Rows sent to the database per round trip, inside a table's one transaction. */
const INSERT_CHUNK = 500;

type Section<T extends ArchiveLine["type"]> = Extract<ArchiveLine, { type: T }>;

interface PlannedTable {
  definition: TableDefinition;
  rows: number;
  /** Byte range of the table's row lines in the archive (read again when it is written). */
  start: number;
  end: number;
}

interface Plan {
  tables: PlannedTable[];
  functions: Section<"function">["function"][];
  webhooks: Section<"webhook">["webhook"][];
  issuers: Section<"issuer">[];
  secrets: Section<"secret">[];
  accounts: Section<"account">[];
}

/** What this import has made so far: what a failure undoes. */
interface Made {
  tables: string[];
  functions: string[];
  webhooks: string[];
  issuers: string[];
  secrets: string[];
  accounts: string[];
}

const lineError = (line: number, problem: string, details: Record<string, unknown> = {}) =>
  new ApiError("invalid_request", `Archive line ${line}: ${problem}`, { details: { line, ...details } });

/** The body, whole: an import is validated entirely before its first write. */
async function readArchive(source: ReadableStream<Uint8Array> | string, max: number): Promise<Uint8Array> {
  const tooLarge = () => new ApiError("payload_too_large", `An archive is at most ${max} bytes`);
  if (typeof source === "string") {
    const bytes = new TextEncoder().encode(source);
    if (bytes.byteLength > max) throw tooLarge();
    return bytes;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = source.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
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
function* linesOf(bytes: Uint8Array, from = 0, to = bytes.byteLength, firstNumber = 1): Generator<Line> {
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
function rowValues(
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
async function planImport(bytes: Uint8Array): Promise<Plan> {
  const plan: Plan = { tables: [], functions: [], webhooks: [], issuers: [], secrets: [], accounts: [] };
  const names = new Map<string, Set<string>>();
  const seen = (kind: string) => names.get(kind) ?? names.set(kind, new Set()).get(kind) ?? new Set<string>();
  const counted: ArchiveCounts = {
    tables: 0,
    rows: 0,
    functions: 0,
    webhooks: 0,
    issuers: 0,
    secrets: 0,
    accounts: 0,
  };
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
    if (entry.type !== "row") counted[`${entry.type}s` as keyof ArchiveCounts]++;
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

/** Refuses (409) a workspace that holds anything: an import never merges. */
async function assertEmpty(ctx: ServiceContext, access: WorkspaceAccess, db: Client): Promise<void> {
  const held = await db.execute(
    `SELECT (SELECT count(*) FROM _islet_tables) + (SELECT count(*) FROM _islet_functions)
       + (SELECT count(*) FROM _islet_webhooks) + (SELECT count(*) FROM _islet_secrets)
       + (SELECT count(*) FROM _islet_api_accounts) AS n`,
  );
  const [issuers] = await controlDb(ctx.config)
    .select({ n: count() })
    .from(issuersTable)
    .where(eq(issuersTable.workspaceId, access.workspace.id));
  if (Number(held.rows[0]?.n ?? 0) + (issuers?.n ?? 0) > 0) {
    throw new ApiError(
      "conflict",
      "An import goes into an empty workspace: this one already has tables, functions, webhooks, issuers, secrets or API accounts",
    );
  }
}

/** What can be refused before the first write is refused then: addresses, plan limits, email. */
async function precheck(ctx: ServiceContext, access: WorkspaceAccess, plan: Plan): Promise<void> {
  for (const webhook of plan.webhooks) await checkedTargetUrl(ctx.config, "url", webhook.url);
  for (const entry of plan.accounts) {
    if (entry.authHeaderValue) await checkedTargetUrl(ctx.config, "baseUrl", entry.account.baseUrl);
  }
  if (plan.issuers.length === 0) return;
  for (const entry of plan.issuers) {
    if (entry.issuer.jwksUrl) await checkedTargetUrl(ctx.config, "jwksUrl", entry.issuer.jwksUrl);
  }
  await requireVerifiedEmail(ctx, requireUser(ctx).userId);
  const max = PLANS[access.workspace.plan].maxIssuers;
  if (plan.issuers.length > max) {
    throw new ApiError("plan_required", `The ${access.workspace.plan} plan allows ${max} issuers`, {
      details: { limit: max, plan: access.workspace.plan },
    });
  }
}

/** One table: its definition, catalog entry and every row, in one transaction with its audit event. */
async function importTable(
  ctx: ServiceContext,
  db: Client,
  bytes: Uint8Array,
  table: PlannedTable,
): Promise<void> {
  const { definition } = table;
  const formulas = definition.columns.filter((c) => c.type === "formula").map((c) => c.name);
  const recompute =
    formulas.length > 0 && table.rows > 0 ? JSON.stringify({ columns: formulas, after: 0 }) : null;
  try {
    await commitWithAudit(
      ctx,
      db,
      async (tx) => {
        await tx.batch([
          ...createTableStatements(definition.name, definition.columns, definition.indexes),
          {
            sql: "INSERT INTO _islet_tables (name, columns, indexes, created_at, updated_at, recompute) VALUES (?, ?, ?, ?, ?, ?)",
            args: [
              definition.name,
              JSON.stringify(definition.columns),
              JSON.stringify(definition.indexes),
              definition.createdAt,
              definition.updatedAt,
              recompute,
            ],
          },
        ]);
        let chunk: InStatement[] = [];
        for (const line of linesOf(bytes, table.start, table.end)) {
          if (line.text.trim() === "") continue;
          const { row } = JSON.parse(line.text) as { row: ArchiveRow };
          const { system, values } = rowValues(definition, row);
          const names = Object.keys(values);
          chunk.push({
            sql: `INSERT INTO ${quote(definition.name)} (${["id", "created_at", "updated_at", ...names].map(quote).join(", ")})
                  VALUES (${[...system, ...names].map(() => "?").join(", ")})`,
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

const placeholders = (n: number) => Array.from({ length: n }, () => "?").join(", ");

/** Undoes what a failed import made (best effort, logged): the workspace is empty again. */
async function undoImport(
  ctx: ServiceContext,
  access: WorkspaceAccess,
  db: Client,
  made: Made,
  cause: unknown,
): Promise<void> {
  const deletes: [string, string, string[]][] = [
    ["_islet_tables", "name", made.tables],
    ["_islet_functions", "name", made.functions],
    ["_islet_webhooks", "id", made.webhooks],
    ["_islet_secrets", "name", made.secrets],
    ["_islet_api_accounts", "name", made.accounts],
  ];
  const statements: InStatement[] = [
    ...made.tables.map((name) => `DROP TABLE IF EXISTS ${quote(name)}`),
    ...deletes
      .filter(([, , names]) => names.length > 0)
      .map(([table, column, names]) => ({
        sql: `DELETE FROM ${table} WHERE ${column} IN (${placeholders(names.length)})`,
        args: names,
      })),
  ];
  try {
    if (statements.length > 0) {
      await commitWithAudit(ctx, db, statements, [
        {
          action: "workspace.import_undone",
          targetType: "workspace",
          targetId: access.workspace.id,
          details: {
            code: cause instanceof ApiError ? cause.code : "internal",
            ...Object.fromEntries(Object.entries(made).map(([kind, names]) => [kind, names.length])),
          },
        },
      ]);
    }
    for (const issuerId of made.issuers) {
      await deleteIssuer({ ctx, input: { workspaceId: access.workspace.id, issuerId } });
    }
  } catch (error) {
    ctx.logger.error("workspace import: undoing a failed import failed", {
      workspaceId: access.workspace.id,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/** Pass two: everything written, in the archive's order; formulas recomputed last. */
async function applyPlan(
  ctx: ServiceContext,
  access: WorkspaceAccess,
  db: Client,
  bytes: Uint8Array,
  plan: Plan,
  made: Made,
): Promise<WorkspaceImported> {
  const workspaceId = access.workspace.id;
  for (const table of plan.tables) {
    await importTable(ctx, db, bytes, table);
    made.tables.push(table.definition.name);
  }
  const secrets = { set: [] as string[], missing: [] as string[] };
  for (const entry of plan.secrets) {
    if (entry.value === undefined) {
      secrets.missing.push(entry.secret.name);
      continue;
    }
    await setSecret({
      ctx,
      input: { workspaceId, name: entry.secret.name, kind: entry.secret.kind, value: entry.value },
    });
    made.secrets.push(entry.secret.name);
    secrets.set.push(entry.secret.name);
  }
  const accounts = { set: [] as string[], missing: [] as string[] };
  for (const entry of plan.accounts) {
    if (entry.authHeaderValue === undefined) {
      accounts.missing.push(entry.account.name);
      continue;
    }
    await putAccount({
      ctx,
      input: { workspaceId, ...entry.account, authHeaderValue: entry.authHeaderValue },
    });
    made.accounts.push(entry.account.name);
    accounts.set.push(entry.account.name);
  }
  for (const fn of plan.functions) {
    await createFunction({ ctx, input: { workspaceId, ...fn } });
    made.functions.push(fn.name);
  }
  const webhooks: WorkspaceImported["webhooks"] = [];
  for (const { enabled, ...webhook } of plan.webhooks) {
    const created = await createWebhook({ ctx, input: { workspaceId, ...webhook } });
    made.webhooks.push(created.webhook.id);
    if (!enabled) {
      created.webhook = await updateWebhook({
        ctx,
        input: { workspaceId, webhookId: created.webhook.id, changes: { enabled: false } },
      });
    }
    webhooks.push(created);
  }
  const issuers: WorkspaceImported["issuers"] = [];
  for (const entry of plan.issuers) {
    const { jwksUrl, ...rest } = entry.issuer;
    // A new hs256 secret when none came with the archive: 256 random bits (RFC 7518 §3.2).
    const fresh = rest.kind === "hs256" && !entry.secret ? bytesToBase64Url(randomBytes(32)) : undefined;
    const issuer = await createIssuer({
      ctx,
      input: {
        workspaceId,
        ...rest,
        ...(jwksUrl ? { jwksUrl } : {}),
        ...(rest.kind === "hs256" ? { secret: entry.secret ?? fresh } : {}),
      },
    });
    made.issuers.push(issuer.id);
    issuers.push(fresh ? { issuer, secret: fresh } : { issuer });
  }
  const tables: WorkspaceImported["tables"] = [];
  let formulaErrorCount = 0;
  for (const table of plan.tables) {
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
  return {
    tables,
    rows: plan.tables.reduce((sum, t) => sum + t.rows, 0),
    formulaErrorCount,
    functions: plan.functions.map((f) => f.name),
    webhooks,
    issuers,
    secrets,
    accounts,
  };
}

/** `POST /v1/workspaces/:id/import`: an export archive into this empty workspace (admins, in person). */
export async function importWorkspace({
  ctx,
  input: raw,
}: ServiceArgs<{
  workspaceId: string;
  archive: ReadableStream<Uint8Array> | string;
}>): Promise<WorkspaceImported> {
  const { workspaceId } = parseInput(workspaceScoped, { workspaceId: raw.workspaceId });
  const access = await authorizeWorkspace(ctx, workspaceId, {
    role: "admin",
    scope: "schema:write",
    usersOnly: true,
  });
  const db = await access.db();
  await assertEmpty(ctx, access, db);
  const bytes = await readArchive(raw.archive, ctx.config.MAX_IMPORT_BYTES);
  const plan = await planImport(bytes);
  await precheck(ctx, access, plan);
  const made: Made = { tables: [], functions: [], webhooks: [], issuers: [], secrets: [], accounts: [] };
  let imported: WorkspaceImported;
  try {
    imported = await applyPlan(ctx, access, db, bytes, plan, made);
    await recordAudit(ctx, db, {
      action: "workspace.import",
      targetType: "workspace",
      targetId: access.workspace.id,
      details: {
        tables: imported.tables.length,
        rows: imported.rows,
        functions: imported.functions.length,
        webhooks: imported.webhooks.length,
        issuers: imported.issuers.length,
        secrets: imported.secrets.set.length,
        accounts: imported.accounts.set.length,
      },
    });
  } catch (error) {
    await undoImport(ctx, access, db, made, error);
    throw error;
  }
  return imported;
}
