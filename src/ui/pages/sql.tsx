// The SQL console (architecture §5, admin SQL): one statement against the workspace's database through
// the API's own verb, so the guard, the time budget, the row cap and the `sql.execute` audit event
// are the API's. Read-only unless the person ticks "allow writes" for this one statement (the box
// is never remembered). Results are a table; errors are sentences, never codes.
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../http/env";
import type { ApiError } from "../../lib/errors";
import { roleMeets } from "../../services/core/access";
import { executeSql, MAX_SQL_ROWS, SQL_NEEDS, SQL_TIME_BUDGET_MS } from "../../services/sql";
import { clip, redirectWithFlash, takeFlash } from "../flash";
import { attempt, currentWorkspace, navOf, type PageContext, wsPath } from "../kit";
import { PostForm, render } from "../layout";
import { formOf } from "../session";

type SqlResult = Awaited<ReturnType<typeof executeSql>>;

/** How many rows of a write's answer (`RETURNING`) the redirect after it carries back. */
const FLASHED_ROWS = 20;

/** A write's outcome as the redirect after it carries it to the console (../flash). */
const flashedWrite = z.object({
  sql: z.string(),
  result: z.object({
    columns: z.array(z.string()),
    rows: z.array(z.array(z.unknown())),
    rowsAffected: z.number(),
    truncated: z.boolean(),
  }),
});

const quoted = (text: string) => `“${text}”`;

/**
 * A refusal as a person at this console should read it: what is wrong and what to do, in this
 * form's words (the API's messages name JSON fields such as `{ "write": true }`).
 */
export function sqlErrorSentence(error: ApiError): string {
  const { code, message } = error;
  if (code === "forbidden" && /writes/.test(message)) {
    return "This statement changes data. Tick “Allow this statement to write” and run it again.";
  }
  const reason = /^SQL (?:syntax )?error: (.*)$/s.exec(message)?.[1];
  if (reason !== undefined) {
    const near = /near "([^"]*)": syntax error/.exec(reason);
    if (near) return `The statement has a syntax error near ${quoted(near[1] ?? "")}.`;
    const notStatement = /near "([^"]*)": not a statement/.exec(reason);
    if (notStatement)
      return `${quoted(notStatement[1] ?? "")} does not begin a statement: start with SELECT, INSERT, UPDATE, DELETE or WITH.`;
    if (/incomplete input/.test(reason))
      return "The statement ends too early: something is missing at its end.";
    const table = /no such table: (\S+)/.exec(reason);
    if (table) return `There is no table named ${quoted(table[1] ?? "")}.`;
    const column = /no such column: (\S+)/.exec(reason);
    if (column) return `There is no column named ${quoted(column[1] ?? "")}.`;
    const fn = /no such function: (\S+)/.exec(reason);
    if (fn) return `There is no SQL function named ${quoted(fn[1] ?? "")}.`;
    return `The database refused the statement: ${reason.replace(/\.$/, "")}.`;
  }
  return /[.!?]$/.test(message) ? message : `${message}.`;
}

const cell = (value: unknown) =>
  value === null || value === undefined ? (
    <span class="muted">null</span>
  ) : typeof value === "object" ? (
    JSON.stringify(value)
  ) : (
    String(value)
  );

function Result({ result, wrote }: { result: SqlResult; wrote: boolean }) {
  return (
    <section aria-label="Result">
      <p class="muted" role="status">
        {result.columns.length > 0
          ? `${result.rows.length} row${result.rows.length === 1 ? "" : "s"}`
          : "No rows returned"}
        {wrote ? ` · ${result.rowsAffected} row${result.rowsAffected === 1 ? "" : "s"} changed` : ""}
        {result.truncated ? ` · only the first ${result.rows.length} rows are shown: add LIMIT or WHERE` : ""}
      </p>
      {result.columns.length > 0 ? (
        <div class="scroll">
          <table class="data result">
            <thead>
              <tr>
                {result.columns.map((name) => (
                  <th>{name}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {result.rows.map((row) => (
                <tr>
                  {row.map((value) => (
                    <td>
                      <code>{cell(value)}</code>
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

async function consolePage(
  c: PageContext,
  state: { result?: SqlResult; wrote?: boolean; error?: ApiError } = {},
): Promise<Response> {
  const workspace = await currentWorkspace(c);
  const allowed = roleMeets(workspace.role, SQL_NEEDS.run);
  const flashed =
    c.req.method === "GET" ? flashedWrite.safeParse((await takeFlash(c))?.state?.wrote) : undefined;
  if (flashed?.success) state = { result: flashed.data.result, wrote: true };
  const sql = c.get("form") ? formOf(c).text("sql") : flashed?.success ? flashed.data.sql : "";
  return render(
    c,
    {
      title: "SQL console",
      workspace: navOf(workspace),
      section: "sql",
      // 200 even for a refused statement: the console answered; the statement's outcome is the
      // content (as a result table is), not a failure of the page.
    },
    <>
      <h1>SQL console</h1>
      {allowed ? (
        <>
          <p class="muted">
            One statement against this workspace's database, read-only unless you allow writes for it. At most{" "}
            {SQL_TIME_BUDGET_MS / 1000} s and {MAX_SQL_ROWS} rows; islet's own tables (<code>_islet_*</code>)
            are out of reach; every statement is recorded in the audit log.
          </p>
          <PostForm c={c} action={wsPath(c, "/sql")}>
            {/* A label beside, not around, the textarea: its text would otherwise join the label's name. */}
            <label for="sql-statement">Statement</label>
            <textarea
              id="sql-statement"
              name="sql"
              required
              spellcheck={false}
              placeholder="SELECT * FROM notes LIMIT 20"
            >
              {sql}
            </textarea>
            <label class="check">
              <input type="checkbox" name="write" value="1" /> Allow this statement to write
            </label>
            <p class="actions">
              <button type="submit">Run</button>
            </p>
          </PostForm>
          {state.error ? (
            <div class="error" role="alert">
              {sqlErrorSentence(state.error)}
            </div>
          ) : null}
          {state.result ? <Result result={state.result} wrote={state.wrote === true} /> : null}
        </>
      ) : (
        <p>The SQL console is for the workspace's admins and owner; your role is {workspace.role}.</p>
      )}
    </>,
  );
}

export const sqlPages = new Hono<AppEnv>()
  .get("/app/w/:workspaceId/sql", (c) => consolePage(c))
  .post("/app/w/:workspaceId/sql", (c) =>
    attempt(
      async () => {
        const form = formOf(c);
        const write = form.checked("write");
        const result = await executeSql({
          ctx: c.var.ctx,
          input: { workspaceId: c.req.param("workspaceId"), sql: form.text("sql"), args: [], write },
        });
        // A read is answered by this page (reloading it only reads again); a write by a redirect,
        // so a reload never runs it twice. Its outcome rides along, the rows of a RETURNING cut
        // to the first few.
        if (!write) return consolePage(c, { result, wrote: false });
        const rows = result.rows.slice(0, FLASHED_ROWS);
        return redirectWithFlash(c, wsPath(c, "/sql"), {
          state: {
            wrote: {
              sql: clip(form.text("sql"), 2000),
              result: { ...result, rows, truncated: result.truncated || rows.length < result.rows.length },
            },
          },
        });
      },
      (error) => consolePage(c, { error }),
    ),
  );
