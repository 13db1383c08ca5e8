import type { Client } from "@libsql/client/web";
import { authorizeWorkspace } from "../core/access";
import { parseInput, type ServiceArgs } from "../core/context";
import { AUDIT_READ } from "./query";
import { readAuditPage } from "./read";
import { chainHash, GENESIS_HASH } from "./record";
import { workspaceScoped } from "./schemas";

/** Rows per page while verifying: memory stays bounded whatever the log's size. */
export const VERIFY_PAGE = 1000;

export type BrokenReason =
  /** The row does not link to the row before it: a row was removed, inserted or reordered. */
  | "prev_hash_mismatch"
  /** The row's content no longer matches its hash: it was altered. */
  | "hash_mismatch";

export interface ChainReport {
  ok: boolean;
  checked: number;
  /** The newest verified row: keep it elsewhere to later detect truncation or a rewritten tail. */
  head: { seq: number; hash: string } | null;
  firstBroken?: { seq: number; id: string; reason: BrokenReason };
}

/**
 * Recomputes the workspace's hash chain (`hash = SHA-256(prev_hash || canonical event)`) from the
 * genesis row, page by page, and reports the first row that breaks it.
 */
export async function verifyAuditChain({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string }>): Promise<ChainReport> {
  const input = parseInput(workspaceScoped, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, AUDIT_READ);
  return verifyChain(await access.db());
}

/** The chain check itself, over any tenant client (also used by bench/audit.ts). */
export async function verifyChain(tenant: Client): Promise<ChainReport> {
  let prev = GENESIS_HASH;
  let afterSeq = 0;
  let checked = 0;
  let head: ChainReport["head"] = null;
  for (;;) {
    const rows = await readAuditPage(tenant, { order: "asc", afterSeq, limit: VERIFY_PAGE });
    // A page's digests are independent of each other (each covers its row's stored prev_hash),
    // so they are computed together; the links are then checked in order.
    const digests = await Promise.all(rows.map((row) => chainHash(row.prev_hash, row)));
    for (const [i, row] of rows.entries()) {
      const reason: BrokenReason | undefined =
        row.prev_hash !== prev ? "prev_hash_mismatch" : digests[i] !== row.hash ? "hash_mismatch" : undefined;
      if (reason) return { ok: false, checked, head, firstBroken: { seq: row.seq, id: row.id, reason } };
      checked++;
      prev = row.hash;
      head = { seq: row.seq, hash: row.hash };
    }
    const last = rows.at(-1);
    if (!last || rows.length < VERIFY_PAGE) return { ok: true, checked, head };
    afterSeq = last.seq;
  }
}
