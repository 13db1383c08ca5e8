// The workspace archive's sections (src/services/core/archive.ts), each declared by its domain,
// collected in the archive's order: the export writes them in it, and an import refuses a line
// that comes after a later section's. Kept apart from the inventory's entries (./index.ts)
// because the sections call their domains' verbs, which the operator CLI does not load; the entry
// of a table an archive carries names its line type, and test/lifecycle/inventory.test.ts checks
// that each such line type is a section here.
import { accountsArchive } from "../accounts/archive";
import type { ArchiveSection } from "../core/archive";
import { functionsArchive } from "../functions/archive";
import { issuersArchive } from "../issuers/archive";
import { tablesArchive } from "../rows/archive";
import { secretsArchive } from "../secrets/archive";
import { webhooksArchive } from "../webhooks/archive";

export const ARCHIVE_SECTIONS: readonly ArchiveSection[] = [
  tablesArchive,
  functionsArchive,
  webhooksArchive,
  issuersArchive,
  secretsArchive,
  accountsArchive,
];

/** The line types a section writes, its own first. */
export const lineTypes = (section: ArchiveSection): string[] => Object.keys(section.lines);

/**
 * The order an import writes the sections in: the archive's, except that a section comes after
 * those it names in `after` (a function's secrets before the function).
 */
export const IMPORT_ORDER: readonly ArchiveSection[] = (() => {
  const order: ArchiveSection[] = [];
  const visiting = new Set<ArchiveSection>();
  const visit = (section: ArchiveSection) => {
    if (order.includes(section) || visiting.has(section)) return;
    visiting.add(section);
    for (const type of section.after ?? []) {
      const needed = ARCHIVE_SECTIONS.find((s) => lineTypes(s)[0] === type);
      if (needed) visit(needed);
    }
    order.push(section);
  };
  for (const section of ARCHIVE_SECTIONS) visit(section);
  return order;
})();
