// The inventory's word on the exports holds (src/services/inventory): a table whose entry says an
// archive line carries it has that section in the workspace archive, every section is some table's,
// and a table the account export carries is a field of the real account export. With
// scripts/inventory.test.ts (every migrated table is claimed), a new table cannot be left out of
// the exports without its domain saying why.
import { describe, expect, it } from "vitest";
import { INVENTORY } from "../../src/services/inventory";
import { ARCHIVE_SECTIONS, IMPORT_ORDER, lineTypes } from "../../src/services/inventory/archive";
import { signupUser } from "../auth/helpers";
import { call, json } from "../helpers";

const claims = INVENTORY.flatMap((entry) =>
  [entry.tenantTables, entry.controlTables].flatMap((tables) =>
    Object.entries(tables ?? {}).map(([table, carried]) => ({ table, domain: entry.domain, carried })),
  ),
);

describe("the inventory and the exports", () => {
  it("agree on the workspace archive's sections", () => {
    const archived = claims.flatMap((c) => ("archive" in c.carried ? [c.carried.archive] : []));
    const types = ARCHIVE_SECTIONS.flatMap(lineTypes);
    // Each claimed line type is written by a section; each section's own lines carry a claimed table.
    expect(archived.filter((type) => !types.includes(type))).toEqual([]);
    expect(
      ARCHIVE_SECTIONS.map((s) => lineTypes(s)[0]).filter((type) => !archived.includes(type ?? "")),
    ).toEqual([]);
    // Every `after` names a section, and the import writes each section after those it names.
    for (const section of ARCHIVE_SECTIONS) {
      for (const type of section.after ?? []) {
        const needed = ARCHIVE_SECTIONS.find((s) => lineTypes(s)[0] === type);
        expect(needed, `${lineTypes(section)[0]} after ${type}`).toBeDefined();
        expect(IMPORT_ORDER.indexOf(needed as never)).toBeLessThan(IMPORT_ORDER.indexOf(section));
      }
    }
    expect(IMPORT_ORDER.length).toBe(ARCHIVE_SECTIONS.length);
  });

  it("agree on the account export's fields", async () => {
    const user = await signupUser({ name: "Inventory" });
    const res = await call("GET", "/v1/account/export", { token: user.session.accessToken });
    expect(res.status).toBe(200);
    const fields = Object.keys(await json<Record<string, unknown>>(res));
    const carried = claims.flatMap((c) => ("account" in c.carried ? [c.carried.account] : []));
    expect(carried.filter((field) => !fields.includes(field))).toEqual([]);
    // Every field holding the account's records comes from a table some domain claims (`grants` is
    // empty until OAuth grants are stored).
    const records = fields.filter((f) => !["exportedAt", "grants"].includes(f));
    expect(records.filter((field) => !carried.includes(field))).toEqual([]);
  });
});
