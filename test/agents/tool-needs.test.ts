// Who may call a tool is its verb's rule, read from the verb's domain (STYLE "say a rule once, as
// data"): every tool names one of the needs a domain exports, never a copy written by hand.
import { describe, expect, it } from "vitest";
import { TOOLS } from "../../src/mcp/tools";
import { ACCOUNTS_NEEDS } from "../../src/services/accounts";
import { AUDIT_READ } from "../../src/services/audit";
import { FUNCTIONS_NEEDS } from "../../src/services/functions";
import { KEYS_NEEDS } from "../../src/services/keys";
import { ROWS_NEEDS } from "../../src/services/rows";
import { SQL_NEEDS } from "../../src/services/sql";
import { TABLES_NEEDS } from "../../src/services/tables";

const DECLARED = new Set<unknown>([
  ...Object.values(ACCOUNTS_NEEDS),
  AUDIT_READ,
  ...Object.values(FUNCTIONS_NEEDS),
  ...Object.values(KEYS_NEEDS),
  ...Object.values(ROWS_NEEDS),
  ...Object.values(SQL_NEEDS),
  ...Object.values(TABLES_NEEDS),
]);

describe("MCP tools", () => {
  it("each take their need from the verb's domain", () => {
    expect(TOOLS.length).toBeGreaterThan(10);
    const copied = TOOLS.filter((t) => !DECLARED.has(t.need)).map((t) => t.name);
    expect(copied).toEqual([]);
  });
});
