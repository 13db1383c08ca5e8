// Usage against the plan's limits, as pictures first (server-rendered SVG, ../charts): requests
// per minute and per day against the plan, 429s, audit events per day by action; then this
// month's numbers, keys, tables, the database's size and rows, and requests by key.
import { Hono } from "hono";
import type { AppEnv } from "../../http/env";
import { PLANS } from "../../lib/plans";
import { auditActivity } from "../../services/audit";
import { listKeys } from "../../services/keys";
import { listTables } from "../../services/tables";
import { getWorkspaceTraffic, getWorkspaceUsage } from "../../services/usage";
import { BarChart, Gauge, type Series } from "../charts";
import { currentWorkspace, DataTable, navOf, type PageContext } from "../kit";
import { render } from "../layout";

/** Bytes as MiB with one decimal: the plan's storage cap is stated in MiB and GiB. */
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

async function usagePage(c: PageContext) {
  const workspace = await currentWorkspace(c);
  const input = { workspaceId: workspace.id };
  const [usage, keys, tables, traffic, activity] = await Promise.all([
    getWorkspaceUsage({ ctx: c.var.ctx, input }),
    listKeys({ ctx: c.var.ctx, input }),
    listTables({ ctx: c.var.ctx, input }),
    getWorkspaceTraffic({ ctx: c.var.ctx, input }),
    auditActivity({ ctx: c.var.ctx, input }),
  ]);
  const plan = PLANS[workspace.plan];
  const activeKeys = keys.filter((k) => k.status === "active" || k.status === "rotating").length;
  return render(
    c,
    { title: "Usage", workspace: navOf(workspace), section: "usage" },
    <>
      <h1>Usage</h1>
      <p class="muted">
        Plan {plan.name}. Every member, key and end user of the workspace together; times are UTC.
      </p>
      <TrafficCharts traffic={traffic} />
      <AuditChart activity={activity} />
      <h2>This month</h2>
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

const REQUESTS: Series[] = [
  { label: "admitted", class: "bar-admitted" },
  { label: "refused (429)", class: "bar-refused" },
];

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
const mmdd = (ms: number) => new Date(ms).toISOString().slice(5, 10);

function TrafficCharts({ traffic }: { traffic: Awaited<ReturnType<typeof getWorkspaceTraffic>> }) {
  const now = new Date(traffic.at);
  const daysInMonth = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0)).getUTCDate();
  return (
    <section aria-labelledby="traffic">
      <h2 id="traffic">Requests</h2>
      <div class="gauges">
        <Gauge
          label="Last 60 seconds"
          used={traffic.perMinute.used}
          limit={traffic.perMinute.limit}
          detail={`each member or key at most ${traffic.perMinute.perPrincipal.toLocaleString("en-US")}`}
        />
        <Gauge label="This month" used={traffic.month.used} limit={traffic.month.limit} />
      </div>
      <p class={traffic.refusedLastHour > 0 ? "error" : "muted"} id="refused-count">
        {traffic.refusedLastHour.toLocaleString("en-US")} refused with 429 in the last hour,{" "}
        {traffic.refusedLast30Days.toLocaleString("en-US")} in the last 30 days.
      </p>
      <BarChart
        id="per-minute"
        title="Requests per minute, last hour"
        series={REQUESTS}
        buckets={traffic.minutes.map((b) => ({ label: hhmm(b.start), values: [b.admitted, b.refused] }))}
        labelEvery={10}
        limit={{
          value: traffic.perMinute.limit,
          label: `limit ${traffic.perMinute.limit.toLocaleString("en-US")}/min`,
        }}
      />
      <BarChart
        id="per-day"
        title="Requests per day, last 30 days"
        series={REQUESTS}
        buckets={traffic.days.map((b) => ({ label: mmdd(b.start), values: [b.admitted, b.refused] }))}
        labelEvery={5}
        limit={{
          value: Math.ceil(traffic.month.limit / daysInMonth),
          label: `even pace to the monthly quota: ${Math.ceil(traffic.month.limit / daysInMonth).toLocaleString("en-US")}/day`,
        }}
      />
    </section>
  );
}

/** Series for the most frequent actions; the rest are "other". */
const AUDIT_SERIES = 6;

function AuditChart({ activity }: { activity: Awaited<ReturnType<typeof auditActivity>> }) {
  const top = activity.actions.slice(0, AUDIT_SERIES).map((a) => a.action);
  const rest = activity.actions.length > AUDIT_SERIES;
  const series: Series[] = [
    ...top.map((action, i) => ({ label: action, class: `s${i}` })),
    ...(rest ? [{ label: "other", class: `s${AUDIT_SERIES}` }] : []),
  ];
  const buckets = activity.days.map((day) => {
    const values = top.map((action) => day.counts[action] ?? 0);
    const all = Object.values(day.counts).reduce((a, b) => a + b, 0);
    return {
      label: mmdd(day.start),
      values: rest ? [...values, all - values.reduce((a, b) => a + b, 0)] : values,
    };
  });
  return (
    <section aria-labelledby="activity">
      <h2 id="activity">Audit events</h2>
      {activity.actions.length === 0 ? (
        <p class="muted">No audit events in the last {activity.days.length} days.</p>
      ) : (
        <BarChart
          id="audit-activity"
          title={`Audit events per day by action, last ${activity.days.length} days`}
          series={series}
          buckets={buckets}
          labelEvery={2}
        />
      )}
    </section>
  );
}

export const usagePages = new Hono<AppEnv>().get("/app/w/:workspaceId/usage", (c) => usagePage(c));
