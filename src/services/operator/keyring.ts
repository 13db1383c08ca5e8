import { eq } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { workspaces } from "../../db/control/schema";
import { dbTokenBinding } from "../../db/tenant/client";
import { decryptSecret, encryptSecret, envelopeVersion, importKeyring } from "../../lib/crypto";
import type { ServiceArgs } from "../context";
import { requireOperator } from "./credential";

export interface RotationReport {
  total: number;
  rotated: number;
  alreadyCurrent: number;
  failed: { id: string; error: string }[];
}

/**
 * Re-encrypts every stored secret under the keyring's active version (DESIGN §6). Records already
 * at the active version are skipped, so an interrupted run resumes; old versions stay readable
 * until every record has moved. Each update is conditional on the envelope it read, so a
 * concurrent writer is never overwritten.
 */
export async function rotateKeyring({
  ctx,
  input,
}: ServiceArgs<{ onProgress?: (done: number, total: number) => void }>): Promise<RotationReport> {
  requireOperator(ctx);
  const { config } = ctx;
  const { onProgress } = input;
  const keyring = await importKeyring(config.ISLET_KEYRING);
  const db = controlDb(config);
  const rows = await db.select({ id: workspaces.id, enc: workspaces.dbTokenEnc }).from(workspaces);
  const report: RotationReport = { total: rows.length, rotated: 0, alreadyCurrent: 0, failed: [] };
  let done = 0;
  for (const row of rows) {
    done++;
    if (!row.enc || envelopeVersion(row.enc) === keyring.active) {
      report.alreadyCurrent++;
    } else {
      try {
        const binding = dbTokenBinding(row.id);
        const plaintext = await decryptSecret(keyring, row.enc, binding);
        const next = await encryptSecret(keyring, plaintext, binding);
        const updated = await db
          .update(workspaces)
          .set({ dbTokenEnc: next })
          .where(eq(workspaces.dbTokenEnc, row.enc))
          .returning({ id: workspaces.id });
        if (updated.length === 1) report.rotated++;
        else report.alreadyCurrent++;
      } catch (error) {
        report.failed.push({ id: row.id, error: error instanceof Error ? error.message : String(error) });
      }
    }
    onProgress?.(done, rows.length);
  }
  return report;
}
