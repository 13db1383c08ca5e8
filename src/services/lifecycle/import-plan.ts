// Workspace import, pass one (src/services/lifecycle/workspace-import.ts): the archive read
// whole (bounded), split into lines, and every line parsed and checked: the frame (header, the
// sections' order and limits, the end line's counts) here, each section's lines by its own planner
// (src/services/core/archive.ts). Nothing is written here.
import { ApiError } from "../../lib/errors";
import { readAtMost } from "../../lib/streams";
import { issuesOf } from "../../lib/validate";
import type { ArchivePlanner, ArchiveSection } from "../core/archive";
import { ARCHIVE_SECTIONS, lineTypes } from "../inventory/archive";
import {
  ARCHIVE_COUNTS,
  type ArchiveCounts,
  archiveEnd,
  archiveHeader,
  archiveLine,
  SECTION_OF,
  zeroCounts,
} from "./workspace-archive";

/** Each section's plan. */
export type Plan = Map<ArchiveSection, unknown>;

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

const describe = (section: ArchiveSection) => {
  const [own, ...followers] = lineTypes(section);
  return [`${own}s`, ...followers.map((type) => `their ${type}s`)].join(" with ");
};
/** "tables with their rows, functions, webhooks, …": the order sections must come in. */
const SECTIONS_IN_ORDER = ARCHIVE_SECTIONS.map(describe).join(", ");

/** Pass one: every line parsed and checked, nothing written. */
export async function planImport(bytes: Uint8Array): Promise<Plan> {
  const planners = new Map<ArchiveSection, ArchivePlanner<{ type: string }, unknown>>(
    ARCHIVE_SECTIONS.map((section) => [section, section.plan()]),
  );
  const counted = zeroCounts();
  let headerSeen = false;
  let end: ArchiveCounts | undefined;
  let section = 0;
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
      const { type: _end, ...counts } = parsed.data;
      end = counts;
      continue;
    }
    const parsed = archiveLine.safeParse(value);
    if (!parsed.success)
      throw lineError(line.number, "is not a valid archive line", { issues: issuesOf(parsed.error) });
    const entry = parsed.data as { type: string };
    const owner = SECTION_OF.get(entry.type) as ArchiveSection;
    const index = ARCHIVE_SECTIONS.indexOf(owner);
    if (index < section) {
      throw lineError(line.number, `a ${entry.type} line comes too late (sections: ${SECTIONS_IN_ORDER})`);
    }
    section = index;
    const counts = `${entry.type}s`;
    // A section's own lines are each a full verb; the lines that follow them (rows) are bounded by
    // the archive's size.
    if (++(counted[counts] as number) > owner.limit && lineTypes(owner)[0] === entry.type) {
      throw lineError(line.number, `an archive holds at most ${owner.limit} ${counts}`);
    }
    await planners.get(owner)?.add(entry, {
      number: line.number,
      start: line.start,
      next: line.next,
      problem: (problem, details) => lineError(line.number, problem, details),
    });
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
  return new Map([...planners].map(([owner, planner]) => [owner, planner.done()]));
}
