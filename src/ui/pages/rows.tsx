// A table's rows: browse with a filter, sort and the API's cursor; insert, edit and delete rows.
// A formula column shows its stored value; a write whose formula failed says so.
import { Hono } from "hono";
import type { AppEnv } from "../../http/env";
import { roleMeets } from "../../services/core/access";
import {
  FILTER_OPS,
  getRow,
  insertRows,
  listRows,
  ROWS_NEEDS,
  deleteRow as removeRow,
  updateRow,
} from "../../services/rows";
import { getTable, TABLES_NEEDS } from "../../services/tables";
import { attempt, currentWorkspace, DataTable, navOf, type PageContext, wsPath } from "../kit";
import { ActionButton, done, ErrorBox, PostForm, render, when } from "../layout";
import { formOf } from "../session";
import { ColumnInput, rowValues, show } from "./row-form";

type Row = Awaited<ReturnType<typeof listRows>>["rows"][number];
type FormulaErrors = { column: string; message: string }[];

const SYSTEM = ["id", "created_at", "updated_at"];

const FormulaNotes = ({ errors }: { errors: FormulaErrors }) =>
  errors.length === 0 ? null : (
    <div class="error" role="alert">
      Stored, but a formula failed (its column holds null):
      <ul>
        {errors.map((e) => (
          <li>
            {e.column}: {e.message}
          </li>
        ))}
      </ul>
    </div>
  );

const PAGE_SIZE = 25;

async function rowsPage(
  c: PageContext,
  state: { error?: unknown; formulaErrors?: FormulaErrors } = {},
): Promise<Response> {
  const workspace = await currentWorkspace(c);
  const name = c.req.param("table") ?? "";
  const table = await getTable({ ctx: c.var.ctx, input: { workspaceId: workspace.id, table: name } });
  const q = (key: string) => c.req.query(key) || undefined;
  const filter =
    q("fcol") && q("fop") ? [{ column: q("fcol") ?? "", op: q("fop") ?? "", value: q("fval") ?? "" }] : [];
  const page = await listRows({
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
  });
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
  const next = page.nextCursor
    ? `${base}?${new URLSearchParams({ ...Object.fromEntries(keep), cursor: page.nextCursor })}`
    : null;
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
      <FormulaNotes errors={state.formulaErrors ?? []} />
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
      {next ? (
        <p>
          <a href={next} rel="next">
            Next page
          </a>
        </p>
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
          c.set("form", undefined);
          return rowsPage(c, { formulaErrors: written.meta.formulaErrors });
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
