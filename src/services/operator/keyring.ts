import type { Client } from "@libsql/client/web";
import { and, eq, isNotNull } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { issuers, workspaces } from "../../db/control/schema";
import { tenantDb } from "../../db/tenant/client";
import {
  decryptSecret,
  encryptSecret,
  envelopeVersion,
  importKeyring,
  SECRET_KINDS,
  type SecretKind,
  secretBinding,
} from "../../lib/crypto";
import type { ServiceArgs, ServiceContext } from "../context";
import { requireOperator } from "./credential";

/** One encrypted record: its envelope, what it is bound to, and a conditional write of a new one. */
interface Sealed {
  kind: SecretKind;
  id: string;
  workspaceId: string;
  envelope: string;
  /** Replaces the envelope only if it is still the one read (a concurrent writer wins). */
  replace: (next: string) => Promise<boolean>;
}

export interface KindReport {
  total: number;
  rotated: number;
  alreadyCurrent: number;
}

export interface RotationReport extends KindReport {
  kinds: Record<SecretKind, KindReport>;
  failed: { kind: SecretKind; id: string; error: string }[];
}

export interface KeyringStatus {
  active: number;
  /** Records each keyring version still encrypts, by kind. A version with none may be dropped. */
  versions: Record<string, Partial<Record<SecretKind, number>>>;
  /** Workspaces whose database could not be opened (their tenant records are not counted). */
  unreachable: string[];
}

/** The control database's sealed records: database tokens and issuer secrets. */
async function controlRecords(ctx: ServiceContext): Promise<Sealed[]> {
  const db = controlDb(ctx.config);
  const tokens = await db
    .select({ id: workspaces.id, enc: workspaces.dbTokenEnc })
    .from(workspaces)
    .where(isNotNull(workspaces.dbTokenEnc));
  const secrets = await db
    .select({ id: issuers.id, workspaceId: issuers.workspaceId, enc: issuers.secretEnc })
    .from(issuers)
    .where(isNotNull(issuers.secretEnc));
  return [
    ...tokens.map((r) => ({
      kind: "db_token" as const,
      id: r.id,
      workspaceId: r.id,
      envelope: r.enc as string,
      replace: async (next: string) =>
        (
          await db
            .update(workspaces)
            .set({ dbTokenEnc: next })
            .where(and(eq(workspaces.id, r.id), eq(workspaces.dbTokenEnc, r.enc as string)))
            .returning({ id: workspaces.id })
        ).length === 1,
    })),
    ...secrets.map((r) => ({
      kind: "issuer_secret" as const,
      id: r.id,
      workspaceId: r.workspaceId,
      envelope: r.enc as string,
      replace: async (next: string) =>
        (
          await db
            .update(issuers)
            .set({ secretEnc: next })
            .where(and(eq(issuers.id, r.id), eq(issuers.secretEnc, r.enc as string)))
            .returning({ id: issuers.id })
        ).length === 1,
    })),
  ];
}

/** A tenant table of sealed records: its key column and its envelope column. */
const TENANT_TABLES: { kind: SecretKind; table: string; key: string; column: string }[] = [
  { kind: "function_secret", table: "_islet_secrets", key: "name", column: "value_enc" },
  { kind: "api_account", table: "_islet_api_accounts", key: "name", column: "auth_header_enc" },
  { kind: "webhook_secret", table: "_islet_webhooks", key: "id", column: "secret_enc" },
];

/** A workspace's own sealed records, read from its database. */
async function tenantRecords(db: Client, workspaceId: string): Promise<Sealed[]> {
  const out: Sealed[] = [];
  for (const { kind, table, key, column } of TENANT_TABLES) {
    let rows: Record<string, unknown>[];
    try {
      rows = (await db.execute(`SELECT ${key} AS name, ${column} AS enc FROM ${table}`))
        .rows as unknown as Record<string, unknown>[];
    } catch (error) {
      // A tenant not yet migrated to the table holds no record of that kind.
      if (/no such table/i.test(String(error))) continue;
      throw error;
    }
    for (const row of rows) {
      const name = String(row.name);
      const envelope = String(row.enc);
      out.push({
        kind,
        id: name,
        workspaceId,
        envelope,
        replace: async (next) =>
          (
            await db.execute({
              sql: `UPDATE ${table} SET ${column} = ? WHERE ${key} = ? AND ${column} = ?`,
              args: [next, name, envelope],
            })
          ).rowsAffected === 1,
      });
    }
  }
  return out;
}

/** Every sealed record, control first, then each active workspace's (opened with its token). */
async function* everyRecord(
  ctx: ServiceContext,
  onUnreachable: (workspaceId: string, error: unknown) => void,
): AsyncGenerator<Sealed[]> {
  yield await controlRecords(ctx);
  // Read again: the pass above may have re-encrypted the tokens the tenants are opened with.
  const tenants = await controlDb(ctx.config)
    .select()
    .from(workspaces)
    .where(eq(workspaces.status, "active"));
  for (const workspace of tenants) {
    try {
      yield await tenantRecords(await tenantDb(ctx.config, workspace), workspace.id);
    } catch (error) {
      onUnreachable(workspace.id, error);
    }
  }
}

const emptyKinds = () =>
  Object.fromEntries(SECRET_KINDS.map((k) => [k, { total: 0, rotated: 0, alreadyCurrent: 0 }])) as Record<
    SecretKind,
    KindReport
  >;

/**
 * Re-encrypts every sealed record islet keeps (DESIGN §6) under the keyring's active version: the
 * control database's (database tokens, issuer secrets) and every tenant's (function secrets, API
 * account credentials). Records already at the active version are skipped, so an interrupted run
 * resumes where it stopped; old versions stay readable until `keyringStatus` shows none left.
 * Each write is conditional on the envelope it read, so a concurrent writer is never overwritten.
 */
export async function rotateKeyring({
  ctx,
  input,
}: ServiceArgs<{ onProgress?: (done: number, total: number) => void }>): Promise<RotationReport> {
  requireOperator(ctx);
  const keyring = await importKeyring(ctx.config.ISLET_KEYRING);
  const report: RotationReport = { total: 0, rotated: 0, alreadyCurrent: 0, kinds: emptyKinds(), failed: [] };
  const fail = (kind: SecretKind, id: string, error: unknown) =>
    report.failed.push({ kind, id, error: error instanceof Error ? error.message : String(error) });
  const workspaceCount = (await controlDb(ctx.config).select({ id: workspaces.id }).from(workspaces)).length;
  let batches = 0;
  for await (const batch of everyRecord(ctx, (id, error) => fail("db_token", id, error))) {
    for (const record of batch) {
      const kind = report.kinds[record.kind];
      kind.total++;
      report.total++;
      if (envelopeVersion(record.envelope) === keyring.active) {
        kind.alreadyCurrent++;
        report.alreadyCurrent++;
        continue;
      }
      try {
        const binding = secretBinding(record.kind, record.workspaceId, record.id);
        const next = await encryptSecret(
          keyring,
          await decryptSecret(keyring, record.envelope, binding),
          binding,
        );
        if (await record.replace(next)) {
          kind.rotated++;
          report.rotated++;
        } else {
          kind.alreadyCurrent++;
          report.alreadyCurrent++;
        }
      } catch (error) {
        fail(record.kind, record.id, error);
      }
    }
    // The control pass, then one per workspace.
    if (batches++ > 0) input.onProgress?.(batches - 1, workspaceCount);
  }
  return report;
}

/** How many records each keyring version still encrypts, by kind (`keyring status`). */
export async function keyringStatus({ ctx }: ServiceArgs): Promise<KeyringStatus> {
  requireOperator(ctx);
  const status: KeyringStatus = { active: ctx.config.ISLET_KEYRING.active, versions: {}, unreachable: [] };
  for (const version of Object.keys(ctx.config.ISLET_KEYRING.keys)) status.versions[version] = {};
  for await (const batch of everyRecord(ctx, (id) => status.unreachable.push(id))) {
    for (const record of batch) {
      const version = String(envelopeVersion(record.envelope));
      const counts = status.versions[version] ?? {};
      status.versions[version] = counts;
      counts[record.kind] = (counts[record.kind] ?? 0) + 1;
    }
  }
  return status;
}

/** Whether a version may leave the keyring: not the active one, and no record encrypted under it. */
export function mayDropVersion(status: KeyringStatus, version: number): { ok: boolean; reason?: string } {
  if (version === status.active) return { ok: false, reason: "it is the active version" };
  if (status.unreachable.length > 0) {
    return { ok: false, reason: `${status.unreachable.length} workspace(s) could not be checked` };
  }
  const left = Object.values(status.versions[String(version)] ?? {}).reduce((a, b) => a + (b ?? 0), 0);
  return left > 0 ? { ok: false, reason: `${left} record(s) are still encrypted under it` } : { ok: true };
}
