// Tables: the workspace's home lists its tables; the create form takes any number of typed columns
// (defaults, not null, unique) and formula columns. Each table's schema editor is ./table-schema.
import { Hono } from "hono";
import type { AppEnv } from "../../http/env";
import { parseForm } from "../../http/form";
import { roleMeets } from "../../services/core/access";
import { createTable, createTableInput, listTables, TABLES_NEEDS } from "../../services/tables";
import { MAX_COLUMNS } from "../../services/tables/check";
import { attempt, currentWorkspace, DataTable, Field, navOf, type PageContext, typed, wsPath } from "../kit";
import { done, ErrorBox, PostForm, render, when } from "../layout";
import { formOf } from "../session";
import { ColumnFields, columnRows, slotCount } from "./column-fields";

/** Column slots the create form starts with; "Add a column" (with or without script) adds more. */
const FIRST_SLOTS = 3;

async function tablesPage(c: PageContext, state: { error?: unknown; slots?: number } = {}) {
  const workspace = await currentWorkspace(c);
  const tables = await listTables({ ctx: c.var.ctx, input: { workspaceId: workspace.id } });
  const form = c.get("form");
  const slots = Math.min(Math.max(FIRST_SLOTS, state.slots ?? slotCount(form)), MAX_COLUMNS);
  const canChange = roleMeets(workspace.role, TABLES_NEEDS.write);
  return render(
    c,
    { title: "Tables", workspace: navOf(workspace), section: "tables", status: state.error ? 400 : 200 },
    <>
      <h1>Tables</h1>
      {tables.length === 0 ? <p class="muted">No tables yet.</p> : null}
      <DataTable
        items={tables}
        columns={[
          { header: "Name", cell: (t) => <a href={wsPath(c, `/tables/${t.name}`)}>{t.name}</a> },
          { header: "Columns", cell: (t) => t.columns.map((col) => `${col.name}: ${col.type}`).join(", ") },
          { header: "Created", cell: (t) => when(t.createdAt) },
          {
            header: "",
            cell: (t) =>
              canChange ? (
                <a href={wsPath(c, `/tables/${t.name}/schema`)} aria-label={`Edit the schema of ${t.name}`}>
                  Schema
                </a>
              ) : null,
          },
        ]}
      />
      <h2 id="new">Create a table</h2>
      <ErrorBox error={state.error} />
      <PostForm c={c} action={wsPath(c, "/tables")}>
        <Field label="Table name" name="name" value={typed(c, "name")} required placeholder="notes" />
        <div class="column-slots">
          {Array.from({ length: slots }, (_, i) => (
            <ColumnFields prefix={`c${i}.`} legend={`Column ${i + 1}`} form={form} />
          ))}
        </div>
        <p class="actions">
          <button type="submit" name="add_column" value="1" class="secondary" formnovalidate data-add-column>
            Add a column
          </button>{" "}
          <button type="submit">Create table</button>
        </p>
      </PostForm>
    </>,
  );
}

export const tablePages = new Hono<AppEnv>()
  .get("/app/w/:workspaceId", (c) => tablesPage(c))
  .post("/app/w/:workspaceId/tables", (c) =>
    attempt(
      async () => {
        const form = formOf(c);
        // "Add a column" without script: the same form again, one slot longer, nothing created.
        if (form.checked("add_column"))
          return tablesPage(c, { slots: Math.max(FIRST_SLOTS, slotCount(form)) + 1 });
        const workspaceId = c.req.param("workspaceId");
        const table = await createTable({
          ctx: c.var.ctx,
          input: parseForm(createTableInput, {
            workspaceId,
            name: form.text("name"),
            columns: columnRows(form),
          }),
        });
        return done(c, wsPath(c, `/tables/${table.name}`), "table_created");
      },
      (error) => tablesPage(c, { error }),
    ),
  );
