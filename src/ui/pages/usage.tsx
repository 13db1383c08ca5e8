// Usage against the plan's limits: this month's requests, the rate limit, keys, tables, the
// database's size and rows, and requests by key.
import { Hono } from "hono";
import type { AppEnv } from "../../http/env";
import { PLANS } from "../../lib/plans";
import { listKeys } from "../../services/keys";
import { listTables } from "../../services/tables";
import { getWorkspaceUsage } from "../../services/usage";
import { currentWorkspace, DataTable, navOf, type PageContext } from "../kit";
import { render } from "../layout";

/** Bytes as MiB with one decimal: the plan's storage cap is stated in MiB and GiB. */
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function usagePage(c: PageContext) {
  const workspace = await currentWorkspace(c);
  const [usage, keys, tables] = await Promise.all([
    getWorkspaceUsage({ ctx: c.var.ctx, input: { workspaceId: workspace.id } }),
    listKeys({ ctx: c.var.ctx, input: { workspaceId: workspace.id } }),
    listTables({ ctx: c.var.ctx, input: { workspaceId: workspace.id } }),
  ]);
  const plan = PLANS[workspace.plan];
  const activeKeys = keys.filter((k) => k.status === "active" || k.status === "rotating").length;
  return render(
    c,
    { title: "Usage", workspace: navOf(workspace), section: "usage" },
    <>
      <h1>Usage</h1>
      <p class="muted">Plan {workspace.plan}</p>
      <table class="data">
        <tbody>
          <tr>
            <th>Requests this month ({usage.month})</th>
            <td>
              {usage.workspaceUsed} of {usage.monthlyQuota}
            </td>
          </tr>
          <tr>
            <th>Rate limit</th>
            <td>{usage.perMinute} requests in any 60 seconds, per principal</td>
          </tr>
          <tr>
            <th>Active API keys</th>
            <td>
              {activeKeys} of {plan.maxKeys}
            </td>
          </tr>
          <tr>
            <th>Tables</th>
            <td>
              {tables.length} of {plan.maxTables}
            </td>
          </tr>
          <tr>
            <th>Database size</th>
            <td>
              {mib(usage.storage.bytes)} of {mib(usage.storage.storageBytes)}
            </td>
          </tr>
          <tr>
            <th>Rows</th>
            <td>
              {usage.storage.rows} of {usage.storage.maxRows}
            </td>
          </tr>
        </tbody>
      </table>
      <h2>By key this month</h2>
      <DataTable
        items={usage.keys}
        columns={[
          { header: "Key", cell: (k) => k.name },
          {
            header: "Requests",
            cell: (k) => (
              <>
                {k.used}
                {k.monthlyCap ? ` of ${k.monthlyCap}` : ""}
                {k.revoked ? " (revoked)" : ""}
              </>
            ),
          },
        ]}
      />
    </>,
  );
}

export const usagePages = new Hono<AppEnv>().get("/app/w/:workspaceId/usage", (c) => usagePage(c));
