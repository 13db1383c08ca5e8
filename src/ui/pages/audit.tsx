// The audit log: filters (actor, action, time), cursor paging, the chain check and export.
import { Hono } from "hono";
import type { AppEnv } from "../../http/env";
import { listAuditEvents, verifyAuditChain } from "../../services/audit";
import { currentWorkspace, DataTable, Field, navOf, type PageContext, wsPath } from "../kit";
import { PostForm, render, when } from "../layout";

/** A datetime-local field (UTC) as epoch ms; anything else is no bound. */
const instant = (text: string | undefined) => {
  if (!text) return undefined;
  const ms = Date.parse(`${text}Z`);
  return Number.isFinite(ms) ? ms : undefined;
};

async function auditPage(c: PageContext, report?: Awaited<ReturnType<typeof verifyAuditChain>>) {
  const workspace = await currentWorkspace(c);
  const q = (key: string) => c.req.query(key) || undefined;
  const cursor = q("cursor");
  const from = instant(q("from"));
  const to = instant(q("to"));
  const page = await listAuditEvents({
    ctx: c.var.ctx,
    input: {
      workspaceId: workspace.id,
      limit: 50,
      ...(q("action") ? { action: q("action") } : {}),
      ...(q("actor") ? { actor: q("actor") } : {}),
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
      ...(cursor && /^\d{1,15}$/.test(cursor) ? { cursor: Number(cursor) } : {}),
    },
  });
  const filters = new URLSearchParams();
  for (const key of ["action", "actor", "from", "to"]) if (q(key)) filters.set(key, q(key) ?? "");
  const base = wsPath(c, "/audit");
  const exportLink = (format: string) =>
    `/v1/workspaces/${workspace.id}/audit/export?${new URLSearchParams({ ...Object.fromEntries(filters), format })}`;
  return render(
    c,
    { title: "Audit log", workspace: navOf(workspace), section: "audit" },
    <>
      <h1>Audit log</h1>
      {report ? (
        report.ok ? (
          <div class="notice" role="status">
            The chain verifies: {report.checked} events, head #{report.head?.seq ?? 0}.
          </div>
        ) : (
          <div class="error" role="alert">
            The chain is broken at event #{report.firstBroken?.seq} ({report.firstBroken?.reason}).
          </div>
        )
      ) : null}
      <form method="get" action={base} class="toolbar">
        <Field label="Action" name="action" value={q("action")} placeholder="key.revoke" />
        <Field label="Actor id" name="actor" value={q("actor")} />
        <Field label="From (UTC)" name="from" type="datetime-local" value={q("from")} />
        <Field label="To (UTC)" name="to" type="datetime-local" value={q("to")} />
        <button type="submit" class="secondary">
          Filter
        </button>
      </form>
      <p>
        <PostForm c={c} action={`${base}/verify`} class="inline">
          <button type="submit" class="secondary">
            Verify the chain
          </button>
        </PostForm>{" "}
        Export: <a href={exportLink("ndjson")}>NDJSON</a> · <a href={exportLink("csv")}>CSV</a>{" "}
        <span class="muted">(Pro plans and above)</span>
      </p>
      <DataTable
        items={page.events}
        columns={[
          { header: "#", cell: (e) => e.seq },
          { header: "When (UTC)", cell: (e) => when(e.ts) },
          {
            header: "Actor",
            cell: (e) => (
              <>
                {e.actor.type} <code>{e.actor.id ?? ""}</code>
              </>
            ),
          },
          { header: "Action", cell: (e) => e.action },
          {
            header: "Target",
            cell: (e) => (
              <>
                {e.target.type ?? ""} <code>{e.target.id ?? ""}</code>
              </>
            ),
          },
          {
            header: "Details",
            cell: (e) => (
              <code>{e.details === null || e.details === undefined ? "" : JSON.stringify(e.details)}</code>
            ),
          },
        ]}
      />
      {page.nextCursor ? (
        <p>
          <a
            href={`${base}?${new URLSearchParams({ ...Object.fromEntries(filters), cursor: page.nextCursor })}`}
            rel="next"
          >
            Older events
          </a>
        </p>
      ) : null}
    </>,
  );
}

export const auditPages = new Hono<AppEnv>()
  .get("/app/w/:workspaceId/audit", (c) => auditPage(c))
  .post("/app/w/:workspaceId/audit/verify", async (c) => {
    const report = await verifyAuditChain({
      ctx: c.var.ctx,
      input: { workspaceId: c.req.param("workspaceId") },
    });
    return auditPage(c, report);
  });
