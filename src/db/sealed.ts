// Every column that holds an AES-256-GCM envelope (DESIGN §6), said once, as data. The keyring's
// rotation, status and drop (services/operator/keyring), the tenant scan (services/operator/scan),
// the operator's workspace view and the export tests all read this list; none keeps its own.
// A migration that adds a sealed column adds it here too: scripts/sealed-columns.test.ts reads
// every migration and fails while a column named `*_enc` is missing from this list.
import type { SecretKind } from "../lib/crypto";

interface Sealed {
  table: string;
  column: string;
  /** The column naming the record: the envelope's binding record id (src/lib/crypto secretBinding). */
  idColumn: string;
  /** The binding kind the envelopes are sealed under. */
  kind: SecretKind;
  /** NULL means "no secret here" (an issuer without one, an endpoint with no previous secret). */
  nullable: boolean;
}

/** A sealed column of the control database: its rows name the workspace they belong to. */
export interface ControlSealedColumn extends Sealed {
  database: "control";
  /** The column naming the record's workspace: the binding's workspace id. */
  workspaceColumn: string;
}

/** A sealed column of every tenant database: its records belong to that database's workspace. */
export interface TenantSealedColumn extends Sealed {
  database: "tenant";
}

export type SealedColumn = ControlSealedColumn | TenantSealedColumn;

export const SEALED_COLUMNS: readonly SealedColumn[] = [
  {
    database: "control",
    table: "workspaces",
    column: "db_token_enc",
    idColumn: "id",
    workspaceColumn: "id",
    kind: "db_token",
    nullable: true,
  },
  {
    database: "control",
    table: "issuers",
    column: "secret_enc",
    idColumn: "id",
    workspaceColumn: "workspace_id",
    kind: "issuer_secret",
    nullable: true,
  },
  {
    database: "tenant",
    table: "_islet_secrets",
    column: "value_enc",
    idColumn: "name",
    kind: "function_secret",
    nullable: false,
  },
  {
    database: "tenant",
    table: "_islet_api_accounts",
    column: "auth_header_enc",
    idColumn: "name",
    kind: "api_account",
    nullable: false,
  },
  {
    database: "tenant",
    table: "_islet_webhooks",
    column: "secret_enc",
    idColumn: "id",
    kind: "webhook_secret",
    nullable: false,
  },
  {
    // Standard Webhooks rotation: the previous secret keeps signing for 24 h (DESIGN §8), under the
    // endpoint's own binding, so a keyring version it uses may not be dropped before it moves.
    database: "tenant",
    table: "_islet_webhooks",
    column: "previous_secret_enc",
    idColumn: "id",
    kind: "webhook_secret",
    nullable: true,
  },
];

/** How reports name a sealed column: `table.column`. */
export const sealedColumnName = (c: SealedColumn) => `${c.table}.${c.column}`;

export const CONTROL_SEALED_COLUMNS = SEALED_COLUMNS.filter(
  (c): c is ControlSealedColumn => c.database === "control",
);
export const TENANT_SEALED_COLUMNS = SEALED_COLUMNS.filter(
  (c): c is TenantSealedColumn => c.database === "tenant",
);
