// Tables: the workspace's home lists its tables; the create form takes typed columns (defaults,
// not null, unique) and formula columns.
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../http/env";
import { type FormFields, parseForm } from "../../http/form";
import { createTable, createTableInput, listTables } from "../../services/tables";
import { COLUMN_TYPES } from "../../services/tables/definition";
import { attempt, currentWorkspace, DataTable, Field, navOf, type PageContext, typed, wsPath } from "../kit";
import { done, ErrorBox, PostForm, render, when } from "../layout";
import { formOf } from "../session";

/** Blank column rows on the create form: enough for a first table without any script. */
const NEW_COLUMNS = 6;

async function tablesPage(c: PageContext, error?: unknown) {
  const workspace = await currentWorkspace(c);
  const tables = await listTables({ ctx: c.var.ctx, input: { workspaceId: workspace.id } });
  const form = c.get("form");
  return render(
    c,
    { title: "Tables", workspace: navOf(workspace), section: "tables", status: error ? 400 : 200 },
    <>
      <h1>Tables</h1>
      {tables.length === 0 ? <p class="muted">No tables yet.</p> : null}
      <DataTable
        items={tables}
        columns={[
          { header: "Name", cell: (t) => <a href={wsPath(c, `/tables/${t.name}`)}>{t.name}</a> },
          { header: "Columns", cell: (t) => t.columns.map((col) => `${col.name}: ${col.type}`).join(", ") },
          { header: "Created", cell: (t) => when(t.createdAt) },
        ]}
      />
      <h2 id="new">Create a table</h2>
      <ErrorBox error={error} />
      <PostForm c={c} action={wsPath(c, "/tables")}>
        <Field label="Table name" name="name" value={typed(c, "name")} required placeholder="notes" />
        {Array.from({ length: NEW_COLUMNS }, (_, i) => (
          <fieldset>
            <legend>Column {i + 1}</legend>
            <div class="columns">
              <Field label="Name" name={`c${i}.name`} value={form?.text(`c${i}.name`)} />
              <label>
                Type
                <select name={`c${i}.type`}>
                  {COLUMN_TYPES.map((type) => (
                    <option value={type} selected={form?.text(`c${i}.type`) === type}>
                      {type}
                    </option>
                  ))}
                </select>
              </label>
              <Field label="Default" name={`c${i}.default`} value={form?.text(`c${i}.default`)} />
              <Field
                label="Formula (JavaScript over row)"
                name={`c${i}.formula`}
                value={form?.text(`c${i}.formula`)}
                placeholder="row.price * row.qty"
              />
              <label class="check">
                <input
                  type="checkbox"
                  name={`c${i}.notNull`}
                  value="1"
                  checked={form?.checked(`c${i}.notNull`)}
                />{" "}
                not null
              </label>
              <label class="check">
                <input
                  type="checkbox"
                  name={`c${i}.unique`}
                  value="1"
                  checked={form?.checked(`c${i}.unique`)}
                />{" "}
                unique
              </label>
            </div>
          </fieldset>
        ))}
        <button type="submit">Create table</button>
      </PostForm>
    </>,
  );
}

/** The create form's column rows that were filled in (a row without a name is no column). */
function columnRows(form: FormFields): Record<string, unknown>[] {
  const rows = [];
  for (let i = 0; i < NEW_COLUMNS; i++) {
    const field = (name: string) => `c${i}.${name}`;
    const name = form.optional(field("name"));
    if (!name) continue;
    const type = form.text(field("type"));
    const fallback = form.optional(field("default"));
    rows.push({
      name,
      type,
      // Every row offers every input; a column takes the formula only when it is a formula column.
      ...(type === "formula" ? { formula: form.optional(field("formula")) ?? "" } : {}),
      ...(form.checked(field("notNull")) ? { notNull: true } : {}),
      ...(form.checked(field("unique")) ? { unique: true } : {}),
      ...(fallback === undefined ? {} : { default: fallback }),
    });
  }
  return rows;
}

/** A default typed into the form, as its column's type: numbers, or true/false (the verb checks it). */
function typedDefault(row: unknown): unknown {
  const { type, default: text } = row as { type?: unknown; default?: unknown };
  if (typeof text !== "string") return row;
  const value =
    type === "integer" || type === "real" ? Number(text) : type === "boolean" ? text === "true" : text;
  return { ...(row as object), default: value };
}

/** The create form, read by the verb's own schema, with each column's default typed first. */
const createForm = createTableInput.extend({
  columns: z.preprocess(
    (rows) => (Array.isArray(rows) ? rows.map(typedDefault) : rows),
    createTableInput.shape.columns,
  ),
});

export const tablePages = new Hono<AppEnv>()
  .get("/app/w/:workspaceId", (c) => tablesPage(c))
  .post("/app/w/:workspaceId/tables", (c) =>
    attempt(
      async () => {
        const form = formOf(c);
        const workspaceId = c.req.param("workspaceId");
        const table = await createTable({
          ctx: c.var.ctx,
          input: parseForm(createForm, { workspaceId, name: form.text("name"), columns: columnRows(form) }),
        });
        return done(c, wsPath(c, `/tables/${table.name}`), "table_created");
      },
      (error) => tablesPage(c, error),
    ),
  );
