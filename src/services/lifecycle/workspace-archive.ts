// The workspace archive (DESIGN §10): what `GET /v1/workspaces/:id/export` writes and
// `POST /v1/workspaces/:id/import` reads. NDJSON, one object per line:
//   header → (table → its rows)* → function* → webhook* → issuer* → secret* → account* → end.
// Exports never hold a secret value; an import may add them (`value` on a secret line,
// `authHeaderValue` on an account line, `secret` on an hs256 issuer line), nothing else.
import { z } from "zod";
import { accountName, putAccountBody } from "../accounts/schemas";
import { epochMs } from "../core/schemas";
import { createFunctionBody } from "../functions/schemas";
import { createIssuerBody, Issuer } from "../issuers/schemas";
import { secretName, setSecretBody, VAULT_KINDS } from "../secrets/schemas";
import { MAX_COLUMNS, MAX_INDEXES } from "../tables/check";
import { columnSchema, indexSchema, userName } from "../tables/definition";
import { PendingRecompute } from "../tables/schemas";
import { createWebhookBody, Webhook } from "../webhooks/schemas";

export const WORKSPACE_EXPORT_FORMAT = "islet-workspace-export";
export const WORKSPACE_EXPORT_VERSION = 1;

/** The archive's sections that are counted on its `end` line. */
export const ARCHIVE_COUNTS = [
  "tables",
  "rows",
  "functions",
  "webhooks",
  "issuers",
  "secrets",
  "accounts",
] as const;
export type ArchiveCounts = Record<(typeof ARCHIVE_COUNTS)[number], number>;
export const zeroCounts = (): ArchiveCounts =>
  Object.fromEntries(ARCHIVE_COUNTS.map((name) => [name, 0])) as ArchiveCounts;

const header = z.object({
  type: z.literal(WORKSPACE_EXPORT_FORMAT),
  version: z.literal(WORKSPACE_EXPORT_VERSION),
});
const table = z.object({
  type: z.literal("table"),
  name: userName,
  columns: z.array(columnSchema).min(1).max(MAX_COLUMNS),
  indexes: z.array(indexSchema).max(MAX_INDEXES),
});
/** A row as the rows API shows it: its system columns, then the user columns by name. */
const row = z.object({
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
// The exported views carry more (timestamps, who made it): read as plain objects, extras dropped.
const fn = z.object({ type: z.literal("function"), function: z.object(createFunctionBody.shape) });
const webhook = z.object({
  type: z.literal("webhook"),
  webhook: z.object({ ...createWebhookBody.shape, enabled: z.boolean().default(true) }),
});
const issuer = z.object({
  type: z.literal("issuer"),
  issuer: z.object({
    ...createIssuerBody.omit({ secret: true, jwksUrl: true, roleClaim: true, tables: true }).shape,
    jwksUrl: createIssuerBody.shape.jwksUrl.nullable(),
    roleClaim: createIssuerBody.shape.roleClaim,
    tables: z.array(userName).max(100).nullable(),
    /** Set on an issuer that was disabled: the import does not re-register it. */
    disabledAt: epochMs.nullable().optional(),
  }),
  /** hs256 only: the shared secret; without it, the import makes a new one and returns it once. */
  secret: createIssuerBody.shape.secret,
});
const secret = z.object({
  type: z.literal("secret"),
  secret: z.object({ name: secretName, kind: z.enum(VAULT_KINDS) }),
  /** Added by whoever imports: without it, the secret is reported as missing, not created. */
  value: setSecretBody.shape.value.optional(),
});
const account = z.object({
  type: z.literal("account"),
  account: z.object({
    name: accountName,
    baseUrl: putAccountBody.shape.baseUrl,
    authHeaderName: putAccountBody.shape.authHeaderName,
  }),
  /** Added by whoever imports: without it, the account is reported as missing, not created. */
  authHeaderValue: putAccountBody.shape.authHeaderValue.optional(),
});
const count = z.number().int().min(0);
const end = z.object({
  type: z.literal("end"),
  tables: count,
  rows: count,
  functions: count,
  webhooks: count,
  issuers: count,
  secrets: count,
  // Archives made before accounts were exported have no such line.
  accounts: count.default(0),
});

/** Every line after the header. */
export const archiveLine = z.discriminatedUnion("type", [table, row, fn, webhook, issuer, secret, account]);
export const archiveHeader = header;
export const archiveEnd = end;
export type ArchiveLine = z.infer<typeof archiveLine>;
export type ArchiveTable = z.infer<typeof table>;
export type ArchiveRow = z.infer<typeof row>["row"];

/** At most this many lines per section: each one is a full verb (authorized, audited, checked). */
export const SECTION_LIMITS: Record<Exclude<ArchiveLine["type"], "row">, number> = {
  table: 1_000,
  function: 500,
  webhook: 100,
  issuer: 200,
  secret: 500,
  account: 200,
};

/** The order sections must come in (rows belong to the table line before them). */
export const SECTION_ORDER: Record<ArchiveLine["type"], number> = {
  table: 0,
  row: 0,
  function: 1,
  webhook: 2,
  issuer: 3,
  secret: 4,
  account: 5,
};

const madeAndMissing = z.object({ set: z.array(z.string()), missing: z.array(z.string()) });

/** What `POST /v1/workspaces/:id/import` made. */
export const WorkspaceImported = z.object({
  tables: z.array(
    z.object({
      name: z.string(),
      rows: z.number().int(),
      /** The formula recompute ran out of this request's sandbox time: resume it (PATCH the table). */
      pendingRecompute: PendingRecompute.optional(),
    }),
  ),
  rows: z.number().int(),
  formulaErrorCount: z.number().int(),
  functions: z.array(z.string()),
  /** Each endpoint with its new signing secret, shown this once. */
  webhooks: z.array(z.object({ webhook: Webhook, secret: z.string() })),
  /** Each issuer; `secret` when the import made a new hs256 secret, shown this once. */
  issuers: z.array(z.object({ issuer: Issuer, secret: z.string().optional() })),
  /** Issuers the archive had disabled (by their `issuer`): not re-registered. */
  skippedIssuers: z.array(z.string()),
  /** Secrets and API accounts need their values: those the archive did not supply are `missing`. */
  secrets: madeAndMissing,
  accounts: madeAndMissing,
});
export type WorkspaceImported = z.infer<typeof WorkspaceImported>;
