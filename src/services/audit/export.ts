import type { Client } from "@libsql/client/web";
import { ApiError } from "../../lib/errors";
import { isPlanId, PLANS } from "../../lib/plans";
import { authorizeWorkspace } from "../core/access";
import { parseInput, type ServiceArgs, type ServiceContext } from "../core/context";
import { CSV_HEADER, csvLine } from "./csv";
import { AUDIT_READ } from "./query";
import { type AuditFilter, lastSeq, readAuditPage, toEntry } from "./read";
import { recordAudit } from "./record";
import { type ExportFormat, exportAuditInput } from "./schemas";

/** Rows read per pull: the stream holds one page at a time, whatever the log's size. */
export const EXPORT_PAGE = 1000;

const CONTENT_TYPES: Record<ExportFormat, string> = {
  ndjson: "application/x-ndjson; charset=utf-8",
  csv: "text/csv; charset=utf-8",
};

export interface AuditExport {
  body: ReadableStream<Uint8Array>;
  contentType: string;
  filename: string;
}

/**
 * Exports the workspace's audit log, oldest first, as NDJSON or CSV (architecture §9, Pro and above).
 * The export is itself audited (`audit.export`) before the first row is read, and covers the log
 * up to that event: a busy log still ends. Rows are read page by page as the client consumes
 * the stream, never all at once.
 */
export async function exportAuditLog({
  ctx,
  input: raw,
}: ServiceArgs<AuditFilter & { workspaceId: string; format: ExportFormat }>): Promise<AuditExport> {
  const input = parseInput(exportAuditInput, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, AUDIT_READ);
  const plan = isPlanId(access.workspace.plan) ? access.workspace.plan : "free";
  if (!PLANS[plan].auditExport) {
    throw new ApiError("plan_required", "Audit log export needs the Pro plan or above", {
      details: { plan, required: "pro" },
    });
  }
  const { workspaceId, format, ...filter } = input;
  const tenant = await access.db();
  await recordAudit(ctx, tenant, {
    action: "audit.export",
    targetType: "audit_log",
    details: { format, filter },
  });
  const upToSeq = await lastSeq(tenant);
  const day = new Date().toISOString().slice(0, 10);
  return {
    body: streamAuditLog(ctx, tenant, { format, filter, upToSeq }),
    contentType: CONTENT_TYPES[format],
    filename: `audit-${workspaceId}-${day}.${format}`,
  };
}

/** The export's body: one page read per pull, encoded as NDJSON or CSV (also used by bench/audit.ts). */
export function streamAuditLog(
  ctx: ServiceContext,
  tenant: Client,
  opts: { format: ExportFormat; filter: AuditFilter; upToSeq: number },
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let afterSeq = 0;
  let started = false;
  // highWaterMark 0: a page is read only when the client asks for more (backpressure).
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const rows = await readAuditPage(tenant, {
            filter: opts.filter,
            order: "asc",
            afterSeq,
            upToSeq: opts.upToSeq,
            limit: EXPORT_PAGE,
          });
          let chunk = !started && opts.format === "csv" ? `${CSV_HEADER.join(",")}\r\n` : "";
          started = true;
          for (const row of rows)
            chunk += opts.format === "csv" ? csvLine(row) : `${JSON.stringify(toEntry(row))}\n`;
          if (chunk) controller.enqueue(encoder.encode(chunk));
          const last = rows.at(-1);
          if (last && rows.length === EXPORT_PAGE) afterSeq = last.seq;
          else {
            controller.close();
            tenant.close();
          }
        } catch (error) {
          // Headers are gone: the client sees a broken stream, never a silently short file.
          ctx.logger.error("audit export failed mid-stream", {
            error: error instanceof Error ? error.message : String(error),
          });
          controller.error(new Error("audit export failed"));
          tenant.close();
        }
      },
      cancel() {
        tenant.close();
      },
    },
    { highWaterMark: 0 },
  );
}
