// The workspace archive (architecture §10): what `GET /v1/workspaces/:id/export` writes and
// `POST /v1/workspaces/:id/import` reads. NDJSON, one object per line:
//   header → (table → its rows)* → function* → webhook* → issuer* → secret* → account* → end.
// Each section between the header and the end line is its domain's (src/services/core/archive.ts,
// collected in src/services/inventory/archive.ts in this order); this file holds the frame.
// Exports never hold a secret value; an import may add them (`value` on a secret line,
// `authHeaderValue` on an account line, `secret` on an hs256 issuer line), nothing else.
import { z } from "zod";
import type { ArchiveSection } from "../core/archive";
import { ARCHIVE_SECTIONS, lineTypes } from "../inventory/archive";

export const WORKSPACE_EXPORT_FORMAT = "islet-workspace-export";
export const WORKSPACE_EXPORT_VERSION = 1;

/** What the end line counts: each line type, as `<type>s`, in the archive's order. */
export const ARCHIVE_COUNTS: readonly string[] = ARCHIVE_SECTIONS.flatMap(lineTypes).map(
  (type) => `${type}s`,
);
export type ArchiveCounts = Record<string, number>;
export const zeroCounts = (): ArchiveCounts => Object.fromEntries(ARCHIVE_COUNTS.map((name) => [name, 0]));

/** The section each line type belongs to. */
export const SECTION_OF = new Map<string, ArchiveSection>(
  ARCHIVE_SECTIONS.flatMap((section) => lineTypes(section).map((type) => [type, section] as const)),
);

export const archiveHeader = z.object({
  type: z.literal(WORKSPACE_EXPORT_FORMAT),
  version: z.literal(WORKSPACE_EXPORT_VERSION),
});

const count = z.number().int().min(0);
const counts: Record<string, z.ZodType<number, number | undefined>> = Object.fromEntries(
  ARCHIVE_SECTIONS.flatMap((section) =>
    lineTypes(section).map((type) => [`${type}s`, section.countMayBeAbsent ? count.default(0) : count]),
  ),
);
export const archiveEnd = z.object({ type: z.literal("end") }).extend(counts);

/** Every line after the header, by its `type`. */
export const archiveLine = z.discriminatedUnion(
  "type",
  ARCHIVE_SECTIONS.flatMap((section) => Object.values(section.lines)) as [z.ZodObject, ...z.ZodObject[]],
);

/** What `POST /v1/workspaces/:id/import` made: each section's fields, in the archive's order. */
export const WorkspaceImported = z.object(Object.assign({}, ...ARCHIVE_SECTIONS.map((s) => s.result)));
export type WorkspaceImported = z.infer<typeof WorkspaceImported>;
