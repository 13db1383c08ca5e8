import { WORKSPACE_ARCHIVE_NEEDS } from "./schemas";
// Workspace export (architecture §10, seed 002): everything a workspace holds, as one NDJSON archive
// streamed a page at a time. Line 1 is the header; then each table's definition followed by its
// rows (as the rows API presents them); then functions, webhooks, issuers, secret names and API
// accounts, each section written by its domain (src/services/core/archive.ts); the last line is
// `end` with the counts, so a truncated archive is recognisable (the format: ./workspace-archive.ts).
// Secret values, webhook signing secrets, issuer keys and account credentials are never in it: each
// section is the list verb's own metadata view. Admins only, people not keys (the verbs below
// re-check their own needs), audited.

import { recordAudit } from "../audit";
import { authorizeWorkspace } from "../core/access";
import { parseInput, type ServiceArgs, type ServiceContext } from "../core/context";
import { workspaceScoped } from "../core/schemas";
import { ARCHIVE_SECTIONS } from "../inventory/archive";
import { MAX_PAGE_ROWS } from "../rows/schemas";
import { WORKSPACE_EXPORT_FORMAT, WORKSPACE_EXPORT_VERSION, zeroCounts } from "./workspace-archive";

export interface WorkspaceExport {
  body: ReadableStream<Uint8Array>;
  filename: string;
}

/** The archive's lines, produced lazily: one rows page is read per pull of the stream. */
async function* archiveLines(
  ctx: ServiceContext,
  workspaceId: string,
  header: object,
): AsyncGenerator<object> {
  yield header;
  const counts = zeroCounts();
  for (const section of ARCHIVE_SECTIONS) {
    for await (const line of section.export(ctx, workspaceId)) {
      counts[`${line.type}s`] = (counts[`${line.type}s`] ?? 0) + 1;
      yield line;
    }
  }
  yield { type: "end", ...counts };
}

/** `GET /v1/workspaces/:id/export`: the archive as a stream (admins; audited before the first byte). */
export async function exportWorkspace({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string }>): Promise<WorkspaceExport> {
  const input = parseInput(workspaceScoped, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, WORKSPACE_ARCHIVE_NEEDS.export);
  const exportedAt = new Date().toISOString();
  await recordAudit(ctx, await access.db(), {
    action: "workspace.export",
    targetType: "workspace",
    targetId: access.workspace.id,
  });
  const lines = archiveLines(ctx, input.workspaceId, {
    type: WORKSPACE_EXPORT_FORMAT,
    version: WORKSPACE_EXPORT_VERSION,
    workspace: {
      id: access.workspace.id,
      name: access.workspace.name,
      slug: access.workspace.slug,
      region: access.workspace.region,
    },
    exportedAt,
  });
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          let chunk = "";
          // Up to a page's worth of lines per pull: a whole rows page is already in memory.
          for (let i = 0; i < MAX_PAGE_ROWS; i++) {
            const next = await lines.next();
            if (next.done) {
              if (chunk) controller.enqueue(encoder.encode(chunk));
              controller.close();
              return;
            }
            chunk += `${JSON.stringify(next.value)}\n`;
          }
          controller.enqueue(encoder.encode(chunk));
        } catch (error) {
          // Headers are gone: the client sees a broken stream (no `end` line), never a short file.
          ctx.logger.error("workspace export failed mid-stream", {
            workspaceId: input.workspaceId,
            error: error instanceof Error ? error.message : String(error),
          });
          controller.error(new Error("workspace export failed"));
        }
      },
      async cancel() {
        await lines.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
  return { body, filename: `workspace-${access.workspace.slug}-${exportedAt.slice(0, 10)}.ndjson` };
}
