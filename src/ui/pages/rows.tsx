// A table's rows: browse with a filter, sort and the API's cursor (forwards, and back through the
// trail of cursors the URL keeps), with the count of matching rows; insert, edit and delete rows.
// A formula column shows its stored value; a write whose formula failed says so after the redirect.
import { Hono } from "hono";
import type { AppEnv } from "../../http/env";
import { roleMeets } from "../../services/core/access";
import {
  countRows,
  FILTER_OPS,
  getRow,
  insertRows,
  listRows,
  ROWS_NEEDS,
  deleteRow as removeRow,
  updateRow,
} from "../../services/rows";
import { getTable, TABLES_NEEDS } from "../../services/tables";
import { redirectWithFlash } from "../flash";
import { attempt, currentWorkspace, DataTable, navOf, type PageContext, wsPath } from "../kit";
import { ActionButton, count, done, ErrorBox, PostForm, render, when } from "../layout";
import { formOf } from "../session";
import { ColumnInput, rowValues, show } from "./row-form";

type Row = Awaited<ReturnType<typeof listRows>>["rows"][number];

const SYSTEM = ["id", "created_at", "updated_at"];

const PAGE_SIZE = 25;

/** The cursors of the pages before this one ("." for the first), oldest first: the way back. */
const TRAIL_MAX = 50;
const trailOf = (text: string | undefined) =>
  (text ?? "")
    .split(",")
    .filter((part) => part === "." || /^[A-Za-z0-9_-]{1,500}$/.test(part))
    .slice(-TRAIL_MAX);

async function rowsPage(c: PageContext, state: { error?: unknown } = {}): Promise<Response> {
  const workspace = await currentWorkspace(c);
  const name = c.req.param("table") ?? "";
  const table = await getTable({ ctx: c.var.ctx, input: { workspaceId: workspace.id, table: name } });
  const q = (key: string) => c.req.query(key) || undefined;
  const filter =
    q("fcol") && q("fop") ? [{ column: q("fcol") ?? "", op: q("fop") ?? "", value: q("fval") ?? "" }] : [];
  const [page, total] = await Promise.all([
    listRows({
      ctx: c.var.ctx,
      input: {
        workspaceId: workspace.id,
        table: name,
        query: {
          filters: filter as never,
          limit: PAGE_SIZE,
          ...(q("sort") ? { sort: q("sort") } : {}),
          ...(q("cursor") ? { cursor: q("cursor") } : {}),
        },
      },
    }),
    countRows({
      ctx: c.var.ctx,
      input: { workspaceId: workspace.id, table: name, filters: filter as never },
    }),
  ]);
  const columns = [...SYSTEM.slice(0, 1), ...table.columns.map((col) => col.name), ...SYSTEM.slice(1)];
  const writable = table.columns.filter((col) => col.type !== "formula");
  const timestamps = new Set([
    "created_at",
    "updated_at",
    ...table.columns.filter((col) => col.type === "timestamp").map((col) => col.name),
  ]);
  const base = wsPath(c, `/tables/${name}`);
  const keep = new URLSearchParams();
  for (const key of ["fcol", "fop", "fval", "sort"]) if (q(key)) keep.set(key, q(key) ?? "");
  const trail = q("cursor") ? trailOf(q("trail")) : [];
  const pageUrl = (cursor: string | undefined, path: string[]) => {
    const params = new URLSearchParams(keep);
    if (cursor) params.set("cursor", cursor);
    if (cursor && path.length > 0) params.set("trail", path.join(","));
    const query = params.toString();
    return query ? `${base}?${query}` : base;
  };
  const next = page.nextCursor ? pageUrl(page.nextCursor, [...trail, q("cursor") ?? "."]) : null;
  const back = trail.at(-1);
  const previous = q("cursor") ? pageUrl(back === "." ? undefined : back, trail.slice(0, -1)) : null;
  const first = trail.length * PAGE_SIZE + 1;
  const shown =
    page.rows.length === 0
      ? `${count(total)} ${total === 1 ? "row" : "rows"}`
      : `Rows ${count(first)}–${count(first + page.rows.length - 1)} of ${count(total)}`;
  const canWrite = roleMeets(workspace.role, ROWS_NEEDS.write);
  return render(
    c,
    { title: name, workspace: navOf(workspace), section: "tables", status: state.error ? 400 : 200 },
    <>
      <h1>{name}</h1>
      {roleMeets(workspace.role, TABLES_NEEDS.write) ? (
        <p>
          <a href={`${base}/schema`}>Change columns and indexes</a>
        </p>
      ) : null}
      <p class="muted">
        {table.columns
          .map((col) => `${col.name}: ${col.type}${col.formula ? ` = ${col.formula}` : ""}`)
          .join(" · ")}
      </p>
      <ErrorBox error={state.error} />
      <form method="get" action={base} class="toolbar">
        <label>
          Filter
          <select name="fcol">
            <option value="">column…</option>
            {columns.map((col) => (
              <option value={col} selected={q("fcol") === col}>
                {col}
              </option>
            ))}
          </select>
        </label>{" "}
        <select name="fop" aria-label="Operator">
          {FILTER_OPS.map((op) => (
            <option value={op} selected={q("fop") === op}>
              {op}
            </option>
          ))}
        </select>{" "}
        <input name="fval" value={q("fval")} aria-label="Value" />{" "}
        <label>
          Sort
          <select name="sort">
            <option value="">id</option>
            {columns.flatMap((col) => [
              <option value={col} selected={q("sort") === col}>
                {col} ↑
              </option>,
              <option value={`-${col}`} selected={q("sort") === `-${col}`}>
                {col} ↓
              </option>,
            ])}
          </select>
        </label>{" "}
        <button type="submit" class="secondary">
          Apply
        </button>
      </form>
      <p class="muted" data-testid="row-count">
        {shown}
        {filter.length > 0 ? " matching the filter" : ""}
      </p>
      <DataTable
        items={page.rows}
        empty="No rows."
        columns={[
          ...columns.map((col) => ({
            header: col,
            cell: (row: Row) => <code>{timestamps.has(col) ? when(Number(row[col])) : show(row[col])}</code>,
          })),
          {
            header: "",
            cell: (row: Row) => <a href={`${base}/rows/${row.id}`}>{canWrite ? "Edit" : "View"}</a>,
          },
        ]}
      />
      {previous || next ? (
        <nav class="pager" aria-label="Pages">
          {previous ? (
            <a class="button secondary" href={previous} rel="prev">
              ← Previous page
            </a>
          ) : null}
          {next ? (
            <a class="button secondary" href={next} rel="next">
              Next page →
            </a>
          ) : null}
        </nav>
      ) : null}
      {canWrite ? (
        <>
          <h2>Insert a row</h2>
          <PostForm c={c} action={`${base}/rows`}>
            {writable.map((col) => (
              <ColumnInput column={col} value={c.get("form")?.text(`col.${col.name}`)} />
            ))}
            <button type="submit">Insert</button>
          </PostForm>
        </>
      ) : null}
    </>,
  );
}

async function rowPage(c: PageContext, error?: unknown) {
  const workspace = await currentWorkspace(c);
  const name = c.req.param("table") ?? "";
  const id = Number(c.req.param("id"));
  const table = await getTable({ ctx: c.var.ctx, input: { workspaceId: workspace.id, table: name } });
  const row = await getRow({ ctx: c.var.ctx, input: { workspaceId: workspace.id, table: name, id } });
  const base = wsPath(c, `/tables/${name}`);
  const canWrite = roleMeets(workspace.role, ROWS_NEEDS.write);
  return render(
    c,
    { title: `${name} #${id}`, workspace: navOf(workspace), section: "tables", status: error ? 400 : 200 },
    <>
      <p>
        <a href={base}>← {name}</a>
      </p>
      <h1>
        Row {id} of {name}
      </h1>
      <ErrorBox error={error} />
      <p class="muted">
        created {when(Number(row.created_at))} · updated {when(Number(row.updated_at))}
      </p>
      {canWrite ? (
        <PostForm c={c} action={`${base}/rows/${id}`}>
          {table.columns.map((col) =>
            col.type === "formula" ? (
              <p>
                {col.name} <span class="muted">(formula: {col.formula})</span>:{" "}
                <code>{show(row[col.name])}</code>
              </p>
            ) : (
              <ColumnInput column={col} value={row[col.name]} />
            ),
          )}
          <button type="submit">Save</button>
        </PostForm>
      ) : (
        <pre class="out">{JSON.stringify(row, null, 2)}</pre>
      )}
      {canWrite ? (
        <ActionButton c={c} action={`${base}/rows/${id}/delete`} label="Delete this row" danger />
      ) : null}
    </>,
  );
}

export const rowPages = new Hono<AppEnv>()
  .get("/app/w/:workspaceId/tables/:table", (c) => rowsPage(c))
  .post("/app/w/:workspaceId/tables/:table/rows", (c) =>
    attempt(
      async () => {
        const workspaceId = c.req.param("workspaceId");
        const name = c.req.param("table");
        const table = await getTable({ ctx: c.var.ctx, input: { workspaceId, table: name } });
        const written = await insertRows({
          ctx: c.var.ctx,
          input: { workspaceId, table: name, rows: [rowValues(table.columns, formOf(c), true)] },
        });
        if (written.meta.formulaErrors.length > 0) {
          const failed = written.meta.formulaErrors.map((e) => `${e.column}: ${e.message}`).join("; ");
          return redirectWithFlash(c, wsPath(c, `/tables/${name}`), {
            notice: `Row saved, but a formula failed and its column holds null (${failed}).`,
          });
        }
        return done(c, wsPath(c, `/tables/${name}`), "row_saved");
      },
      (error) => rowsPage(c, { error }),
    ),
  )
  .get("/app/w/:workspaceId/tables/:table/rows/:id{[0-9]+}", (c) => rowPage(c))
  .post("/app/w/:workspaceId/tables/:table/rows/:id{[0-9]+}", (c) =>
    attempt(
      async () => {
        const workspaceId = c.req.param("workspaceId");
        const name = c.req.param("table");
        const id = Number(c.req.param("id"));
        const table = await getTable({ ctx: c.var.ctx, input: { workspaceId, table: name } });
        await updateRow({
          ctx: c.var.ctx,
          input: {
            workspaceId,
            table: name,
            id,
            values: rowValues(table.columns, formOf(c), false),
          },
        });
        return done(c, wsPath(c, `/tables/${name}/rows/${id}`), "row_saved");
      },
      (error) => rowPage(c, error),
    ),
  )
  .post("/app/w/:workspaceId/tables/:table/rows/:id{[0-9]+}/delete", async (c) => {
    const name = c.req.param("table");
    await removeRow({
      ctx: c.var.ctx,
      input: { workspaceId: c.req.param("workspaceId"), table: name, id: Number(c.req.param("id")) },
    });
    return done(c, wsPath(c, `/tables/${name}`), "row_deleted");
  });
