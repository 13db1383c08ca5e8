// A table's schema editor: add, rename and drop columns, set a formula, add and drop indexes, and
// drop the table with its typed name. Every change is one call of the API's own verbs (alterTable,
// dropTable), so the checks, the atomicity and the `table.alter` / `table.drop` audit events are
// the API's (architecture §5); the page only turns one form into one change.
import { Hono } from "hono";
import type { AppEnv } from "../../http/env";
import { ApiError } from "../../lib/errors";
import {
  alterTable,
  dropTable,
  getTable,
  type TableChanges,
  type TableDefinition,
} from "../../services/tables";
import { SYSTEM_COLUMNS } from "../../services/tables/definition";
import { attempt, currentWorkspace, DataTable, Field, navOf, type PageContext, wsPath } from "../kit";
import { ActionButton, done, ErrorBox, PostForm, render } from "../layout";
import { formOf } from "../session";
import { ColumnFields, columnOf } from "./column-fields";

type Column = TableDefinition["columns"][number];
type Index = TableDefinition["indexes"][number];

const constraints = (col: Column) =>
  [
    col.notNull ? "not null" : "",
    col.unique ? "unique" : "",
    col.default !== undefined ? `default ${JSON.stringify(col.default)}` : "",
  ]
    .filter(Boolean)
    .join(", ");

async function schemaPage(c: PageContext, error?: unknown, confirmDrop?: string): Promise<Response> {
  const workspace = await currentWorkspace(c);
  const name = c.req.param("table") ?? "";
  const table = await getTable({ ctx: c.var.ctx, input: { workspaceId: workspace.id, table: name } });
  const base = wsPath(c, `/tables/${table.name}/schema`);
  const form = error ? c.get("form") : undefined;
  const indexable = [...SYSTEM_COLUMNS, ...table.columns.map((col) => col.name)];
  return render(
    c,
    {
      title: `${table.name} · schema`,
      workspace: navOf(workspace),
      section: "tables",
      status: error ? 400 : 200,
    },
    <>
      <p>
        <a href={wsPath(c, `/tables/${table.name}`)}>← rows of {table.name}</a>
      </p>
      <h1>Schema of {table.name}</h1>
      <ErrorBox error={error} />
      {confirmDrop && table.columns.some((col) => col.name === confirmDrop) ? (
        <div class="error" role="alert">
          Drop the column {confirmDrop}? Its value in every row is deleted; this cannot be undone.{" "}
          <ActionButton
            c={c}
            action={`${base}/columns/${confirmDrop}/drop`}
            label={`Yes, drop ${confirmDrop}`}
            fields={{ confirm: confirmDrop }}
            danger
          />{" "}
          <a href={base}>Keep it</a>
        </div>
      ) : null}
      {table.pendingRecompute ? (
        <div class="error" role="alert">
          A formula recompute stopped part-way (rows after #{table.pendingRecompute.after} hold the previous
          values). <ActionButton c={c} action={`${base}/resume`} label="Resume the recompute" />
        </div>
      ) : null}
      <h2>Columns</h2>
      <p class="muted">Every table also has id, created_at and updated_at, kept by islet.</p>
      <DataTable
        items={table.columns}
        columns={[
          { header: "Name", cell: (col) => <code>{col.name}</code> },
          { header: "Type", cell: (col) => col.type },
          { header: "Constraints", cell: (col) => constraints(col) },
          {
            header: "Formula",
            cell: (col) =>
              col.type === "formula" ? (
                <PostForm c={c} action={`${base}/columns/${col.name}/formula`} class="row-form">
                  <input name="formula" value={col.formula} required aria-label={`Formula of ${col.name}`} />
                  <button type="submit" class="secondary">
                    Set formula
                  </button>
                </PostForm>
              ) : null,
          },
          {
            header: "Rename",
            cell: (col) => (
              <PostForm c={c} action={`${base}/columns/${col.name}/rename`} class="row-form">
                <input name="to" required aria-label={`New name for ${col.name}`} placeholder="new name" />
                <button type="submit" class="secondary">
                  Rename
                </button>
              </PostForm>
            ),
          },
          {
            header: "",
            cell: (col) => (
              <ActionButton
                c={c}
                action={`${base}/columns/${col.name}/drop`}
                label={`Drop ${col.name}`}
                danger
              />
            ),
          },
        ]}
      />
      <h2>Add a column</h2>
      <PostForm c={c} action={`${base}/columns`}>
        <ColumnFields prefix="new." legend="New column" form={form} />
        <p class="actions">
          <button type="submit">Add column</button>
        </p>
      </PostForm>
      <h2>Indexes</h2>
      <DataTable
        items={table.indexes}
        empty="No indexes (unique columns carry their own)."
        columns={[
          { header: "Name", cell: (index: Index) => <code>{index.name}</code> },
          { header: "Columns", cell: (index: Index) => index.columns.join(", ") },
          { header: "Unique", cell: (index: Index) => (index.unique ? "yes" : "no") },
          {
            header: "",
            cell: (index: Index) => (
              <ActionButton
                c={c}
                action={`${base}/indexes/${index.name}/drop`}
                label={`Drop index ${index.name}`}
                danger
              />
            ),
          },
        ]}
      />
      <h3>Add an index</h3>
      <PostForm c={c} action={`${base}/indexes`}>
        <Field
          label="Index name"
          name="name"
          required
          placeholder={`${table.name}_by_…`}
          value={form?.text("name")}
        />
        <fieldset>
          <legend>Columns, in order</legend>
          <div class="checks">
            {indexable.map((col) => (
              <label class="check">
                <input
                  type="checkbox"
                  name="columns"
                  value={col}
                  checked={form?.all("columns").includes(col)}
                />{" "}
                {col}
              </label>
            ))}
          </div>
        </fieldset>
        <label class="check">
          <input type="checkbox" name="unique" value="1" checked={form?.checked("unique")} /> unique
        </label>
        <p class="actions">
          <button type="submit">Add index</button>
        </p>
      </PostForm>
      <h2>Drop this table</h2>
      <p>Every row of {table.name} is deleted; this cannot be undone. Type the table's name to confirm.</p>
      <PostForm c={c} action={`${base}/drop`}>
        <Field
          label={`Type ${table.name}`}
          name="confirm"
          required
          extra={{ "data-must-equal": table.name }}
        />
        <p class="actions">
          <button type="submit" class="danger">
            Drop table
          </button>
        </p>
      </PostForm>
    </>,
  );
}

/** One change through the API's verb, then the editor again with "Table changed." or the error. */
function change(c: PageContext, changes: (form: ReturnType<typeof formOf>) => unknown) {
  return attempt(
    async () => {
      const workspaceId = c.req.param("workspaceId") ?? "";
      const table = c.req.param("table") ?? "";
      await alterTable({
        ctx: c.var.ctx,
        // The verb parses `changes` with its own schema: nothing is checked twice or only here.
        input: { workspaceId, table, changes: changes(formOf(c)) as TableChanges },
      });
      return done(c, wsPath(c, `/tables/${table}/schema`), "table_changed");
    },
    (error) => schemaPage(c, error),
  );
}

const column = (c: PageContext) => c.req.param("column") ?? "";

export const tableSchemaPages = new Hono<AppEnv>()
  .get("/app/w/:workspaceId/tables/:table/schema", (c) => schemaPage(c))
  .post("/app/w/:workspaceId/tables/:table/schema/columns", (c) =>
    change(c, (form) => {
      const added = columnOf(form, "new.");
      // An empty name is the verb's to refuse, in its words ("addColumns.0.name: …").
      return { addColumns: [added ?? { name: "", type: form.text("new.type") }] };
    }),
  )
  .post("/app/w/:workspaceId/tables/:table/schema/columns/:column/rename", (c) =>
    change(c, (form) => ({ renameColumns: [{ from: column(c), to: form.text("to").trim() }] })),
  )
  // A column's values go with it: the first press asks (a page, so it works without script), the
  // answer carries the column's name as the table drop does.
  .post("/app/w/:workspaceId/tables/:table/schema/columns/:column/drop", (c) =>
    formOf(c).text("confirm") === column(c)
      ? change(c, () => ({ dropColumns: [column(c)] }))
      : schemaPage(c, undefined, column(c)),
  )
  .post("/app/w/:workspaceId/tables/:table/schema/columns/:column/formula", (c) =>
    change(c, (form) => ({ setFormulas: [{ name: column(c), formula: form.text("formula") }] })),
  )
  .post("/app/w/:workspaceId/tables/:table/schema/indexes", (c) =>
    change(c, (form) => ({
      addIndexes: [
        {
          name: form.text("name").trim(),
          columns: form.all("columns"),
          ...(form.checked("unique") ? { unique: true } : {}),
        },
      ],
    })),
  )
  .post("/app/w/:workspaceId/tables/:table/schema/indexes/:index/drop", (c) =>
    change(c, () => ({ dropIndexes: [c.req.param("index") ?? ""] })),
  )
  .post("/app/w/:workspaceId/tables/:table/schema/resume", (c) =>
    change(c, () => ({ resumeRecompute: true })),
  )
  .post("/app/w/:workspaceId/tables/:table/schema/drop", (c) =>
    attempt(
      async () => {
        await dropTable({
          ctx: c.var.ctx,
          input: {
            workspaceId: c.req.param("workspaceId") ?? "",
            table: c.req.param("table") ?? "",
            confirm: formOf(c).text("confirm"),
          },
        });
        return done(c, wsPath(c), "table_dropped");
      },
      // The verb's refusal speaks to API callers ({ "confirm": … }); the form's person typed a name.
      (error) =>
        schemaPage(
          c,
          error.code === "confirmation_required"
            ? new ApiError("confirmation_required", `Type ${c.req.param("table")} exactly to drop the table.`)
            : error,
        ),
    ),
  );
