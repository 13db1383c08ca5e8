// What every dashboard page shares: the workspace it is about, turning a failed verb into the
// page again with the error shown, and the error page itself.
import type { Context } from "hono";
import type { Child } from "hono/jsx";
import type { AppEnv } from "../http/env";
import { ApiError } from "../lib/errors";
import { createLogger } from "../lib/logger";
import { asApiError } from "../services/core/errors";
import { getWorkspace, type WorkspaceView } from "../services/workspaces";
import { render, sentence } from "./layout";
import { formOf } from "./session";

export type PageContext = Context<AppEnv>;

/** The addressed workspace as the signed-in user sees it (role included), once per request. */
export async function currentWorkspace(c: PageContext): Promise<WorkspaceView> {
  return getWorkspace({ ctx: c.var.ctx, input: { workspaceId: c.req.param("workspaceId") ?? "" } });
}

export const navOf = (w: WorkspaceView) => ({ id: w.id, name: w.name, role: w.role ?? "—" });

/** `/app/w/<id><path>` */
export const wsPath = (c: PageContext, path = "") => `/app/w/${c.req.param("workspaceId")}${path}`;

/**
 * Runs a form's action. A refusal the caller can fix (bad input, conflict, forbidden…) shows
 * the page again with the error; anything else goes to the error page.
 */
export async function attempt(
  action: () => Promise<Response>,
  again: (error: ApiError) => Promise<Response>,
): Promise<Response> {
  try {
    return await action();
  } catch (error) {
    // A 401 that names a field (a wrong password typed into the form) is the form's to show.
    const fixable401 = error instanceof ApiError && error.status === 401 && hasField(error);
    if (
      error instanceof ApiError &&
      error.status < 500 &&
      (error.status !== 401 || fixable401) &&
      error.status !== 429
    ) {
      return again(error);
    }
    throw error;
  }
}

const hasField = (error: ApiError) =>
  typeof (error.details as { field?: unknown } | undefined)?.field === "string";

/** The dashboard's error handler: sign-in for a missing session, else an HTML error page. */
export async function pageError(err: unknown, c: PageContext): Promise<Response> {
  const error = asApiError(err, c.get("logger") ?? createLogger({ requestId: c.get("requestId") }));
  if (error.status === 401 && c.req.method === "GET") {
    const next = c.req.path + (new URL(c.req.url).search || "");
    return c.redirect(`/login?next=${encodeURIComponent(next)}`, 303);
  }
  const status = error.status;
  const res = await render(
    c,
    { title: "Something is wrong", narrow: true, status },
    <>
      <h1>{status === 404 ? "Not found" : status === 403 ? "Not allowed" : "That did not work"}</h1>
      <p data-code={error.code}>
        {error.status >= 500 && error.code === "internal_error"
          ? "Something went wrong on our side."
          : sentence(error.message)}
      </p>
      <p class="muted">If you contact support, quote reference {c.get("requestId")}.</p>
      <p>
        <a href="/app">Back to your workspaces</a>
      </p>
    </>,
  );
  for (const [name, value] of Object.entries(error.headers)) res.headers.set(name, value);
  return res;
}

/** A labelled input. */
export function Field(props: {
  label: string;
  name: string;
  type?: string;
  value?: string;
  required?: boolean;
  placeholder?: string;
  autocomplete?: string;
  hint?: Child;
  extra?: Record<string, string>;
}) {
  return (
    <label>
      {props.label}
      <input
        name={props.name}
        type={props.type ?? "text"}
        value={props.value}
        required={props.required}
        placeholder={props.placeholder}
        autocomplete={props.autocomplete}
        {...(props.extra ?? {})}
      />
      {props.hint ? <span class="muted">{props.hint}</span> : null}
    </label>
  );
}

/** What the user typed into the form being shown again (never a password or secret). */
export const typed = (c: PageContext, name: string): string | undefined =>
  c.get("form") ? formOf(c).text(name) : undefined;

/** One column of a DataTable: its header ("" for an action column) and how an item fills its cell. */
export interface DataColumn<T> {
  header: string;
  cell: (item: T) => Child;
}

/**
 * The dashboard's list table (`table.data`): a header row, then one row per item; when there are
 * none, the `empty` line follows the table (never a row, so the rows are only ever items).
 */
export function DataTable<T>(props: { items: readonly T[]; columns: DataColumn<T>[]; empty?: string }) {
  return (
    <>
      <table class="data">
        <thead>
          <tr>
            {props.columns.map((column) => (
              <th>{column.header}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.items.map((item) => (
            <tr>
              {props.columns.map((column) => (
                <td>{column.cell(item)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {props.empty !== undefined && props.items.length === 0 ? <p class="muted">{props.empty}</p> : null}
    </>
  );
}
