// Every state-changing /v1 route of the real app writes its audit event: the routes are read from
// `buildApp().routes` at test time, so a new route without a coverage entry fails here by name.
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import { authCoverage } from "./coverage-auth";
import { accountsCoverage, dataCoverage, functionsCoverage, webhooksCoverage } from "./coverage-data";
import { type CoverageTable, exercise, stateChangingRoutes, workspaceRow } from "./coverage-harness";
import { workspaceCoverage } from "./coverage-workspaces";
import { platformLog, tenantLog } from "./helpers";

const table: CoverageTable = {
  ...authCoverage,
  ...workspaceCoverage,
  ...dataCoverage,
  ...functionsCoverage,
  ...accountsCoverage,
  ...webhooksCoverage,
};
const routes = stateChangingRoutes(buildApp());

describe("audit coverage", () => {
  it("has an entry for every state-changing route", () => {
    const missing = routes.filter((route) => !Object.hasOwn(table, route));
    expect(
      missing,
      `routes without an audit coverage entry (add them to test/audit/coverage-*.ts): ${missing.join(", ")}`,
    ).toEqual([]);
  });

  it("has no entry for a route the app no longer serves", () => {
    const stale = Object.keys(table).filter((route) => !routes.includes(route));
    expect(stale, `stale audit coverage entries: ${stale.join(", ")}`).toEqual([]);
  });

  for (const route of routes) {
    it(route, async () => {
      const entry = table[route];
      if (!entry) throw new Error(`${route} has no audit coverage entry: map it to the action it must write`);
      if ("exempt" in entry) {
        expect(entry.exempt.length, "an exemption states its reason").toBeGreaterThan(40);
        return;
      }
      const t = exercise();
      const { res, workspace } = await entry.exercise(t);
      const text = await res.clone().text();
      if (entry.status !== undefined) expect(res.status, text).toBe(entry.status);
      else expect(res.status, text).toBeLessThan(300);
      const requestId = res.headers.get("X-Request-Id");
      expect(requestId).toMatch(/^req_/);

      const tenant = workspace
        ? (await tenantLog(await workspaceRow(workspace))).filter((e) => e.request_id === requestId)
        : [];
      if (entry.tenant && !workspace)
        throw new Error(`${route}: the exercise must name the workspace to read`);
      expect(
        tenant.map((e) => e.action),
        "tenant audit log",
      ).toEqual(entry.tenant ?? []);
      for (const event of tenant) expect(event.ip, `${event.action} ip`).toBe(t.ip);

      const platform = await platformLog({ requestId: requestId ?? "" });
      expect(
        platform.map((e) => e.action),
        "platform security log",
      ).toEqual(entry.platform ?? []);
      for (const event of platform) expect(event.ip, `${event.action} ip`).toBe(t.ip);
    });
  }
});
