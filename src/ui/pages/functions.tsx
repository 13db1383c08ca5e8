// Functions: the list and the create form, one function's page (edit its code, bind secrets —
// admins —, invoke it with JSON arguments and read the result and logs), delete.
import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../../http/env";
import { parseForm, typedNumber } from "../../http/form";
import { ApiError, ERROR_CODES, type ErrorCode } from "../../lib/errors";
import type { Role } from "../../lib/tenancy";
import { roleMeets } from "../../services/core/access";
import {
  createFunction,
  createFunctionInput,
  deleteFunction,
  FUNCTION_EXAMPLE,
  FUNCTIONS_NEEDS,
  invokeFunction,
  listFunctions,
  updateFunction,
  updateFunctionInput,
} from "../../services/functions";
import { listSecrets } from "../../services/secrets";
import { clip, redirectWithFlash, takeFlash } from "../flash";
import { attempt, currentWorkspace, DataTable, Field, navOf, type PageContext, typed, wsPath } from "../kit";
import { ActionButton, done, ErrorBox, PostForm, render, when } from "../layout";
import { formOf } from "../session";

/** Names of the vault's env secrets, for the binding checkboxes (admins only see and bind them). */
async function envSecretNames(c: PageContext, workspaceId: string, role: Role | null): Promise<string[]> {
  if (!roleMeets(role, FUNCTIONS_NEEDS.bind)) return [];
  const secrets = await listSecrets({ ctx: c.var.ctx, input: { workspaceId } });
  return secrets.filter((s) => s.kind === "env").map((s) => s.name);
}

const EnvChoice = ({ names, bound }: { names: string[]; bound: string[] }) =>
  names.length === 0 ? null : (
    <fieldset>
      <legend>Bind secrets as env (admins)</legend>
      <input type="hidden" name="envShown" value="1" />
      {names.map((name) => (
        <label class="check">
          <input type="checkbox" name="env" value={name} checked={bound.includes(name)} /> {name}
        </label>
      ))}
    </fieldset>
  );

/** What the sandbox runs (services/functions FUNCTION_CODE_NOTE), as the API reference shows it. */
const STARTER = FUNCTION_EXAMPLE;

async function functionsPage(c: PageContext, error?: unknown) {
  const workspace = await currentWorkspace(c);
  const [functions, names] = await Promise.all([
    listFunctions({ ctx: c.var.ctx, input: { workspaceId: workspace.id } }),
    envSecretNames(c, workspace.id, workspace.role),
  ]);
  return render(
    c,
    { title: "Functions", workspace: navOf(workspace), section: "functions", status: error ? 400 : 200 },
    <>
      <h1>Functions</h1>
      <DataTable
        items={functions}
        empty="No functions yet."
        columns={[
          { header: "Name", cell: (f) => <a href={wsPath(c, `/functions/${f.name}`)}>{f.name}</a> },
          { header: "Timeout", cell: (f) => `${f.timeoutMs} ms` },
          { header: "Updated", cell: (f) => when(f.updatedAt) },
        ]}
      />
      <h2>New function</h2>
      <ErrorBox error={error} />
      <PostForm c={c} action={wsPath(c, "/functions")}>
        <Field label="Name" name="name" value={typed(c, "name")} required placeholder="greet" />
        <label>
          Code
          <textarea name="code" spellcheck={false}>
            {typed(c, "code") ?? STARTER}
          </textarea>
        </label>
        <Field
          label="Timeout (ms, ≤ 1000)"
          name="timeoutMs"
          type="number"
          value={typed(c, "timeoutMs") ?? "1000"}
          extra={{ min: "1", max: "1000", step: "1", inputmode: "numeric" }}
        />
        <EnvChoice names={names} bound={c.get("form")?.all("env") ?? []} />
        <button type="submit">Create function</button>
      </PostForm>
    </>,
  );
}

interface Invocation {
  result?: unknown;
  logs: string[];
  durationMs?: number;
  error?: unknown;
}

/** An invocation as the redirect after it carries it to the function's page (../flash). */
const flashedRun = z.object({
  args: z.string(),
  result: z.string().optional(),
  error: z
    .object({ code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]), message: z.string() })
    .optional(),
  logs: z.array(z.string()),
  durationMs: z.number().optional(),
});

async function functionPage(c: PageContext, state: { error?: unknown } = {}) {
  const workspace = await currentWorkspace(c);
  const name = c.req.param("name") ?? "";
  const [functions, names] = await Promise.all([
    listFunctions({ ctx: c.var.ctx, input: { workspaceId: workspace.id } }),
    envSecretNames(c, workspace.id, workspace.role),
  ]);
  const fn = functions.find((f) => f.name === name);
  if (!fn) throw new ApiError("not_found", `Function ${name} does not exist`);
  const canWrite = roleMeets(workspace.role, FUNCTIONS_NEEDS.write);
  const flashed = flashedRun.safeParse((await takeFlash(c))?.state?.run);
  const run = flashed.success ? flashed.data : undefined;
  return render(
    c,
    { title: name, workspace: navOf(workspace), section: "functions", status: state.error ? 400 : 200 },
    <>
      <p>
        <a href={wsPath(c, "/functions")}>← Functions</a>
      </p>
      <h1>{name}</h1>
      <ErrorBox error={state.error} />
      {canWrite ? (
        <>
          <h2>Invoke</h2>
          <PostForm c={c} action={wsPath(c, `/functions/${name}/invoke`)}>
            <label>
              Arguments (JSON)
              <textarea name="args" spellcheck={false}>
                {typed(c, "args") ?? run?.args ?? "{}"}
              </textarea>
            </label>
            <button type="submit">Invoke</button>
          </PostForm>
        </>
      ) : null}
      {run ? (
        <section aria-label="Invocation">
          {run.error ? (
            <ErrorBox error={new ApiError(run.error.code, run.error.message)} />
          ) : (
            <>
              <h3>Result ({Math.round(run.durationMs ?? 0)} ms)</h3>
              <pre class="out" id="function-result">
                {run.result}
              </pre>
            </>
          )}
          <h3>Logs</h3>
          <pre class="out" id="function-logs">
            {run.logs.join("\n")}
          </pre>
        </section>
      ) : null}
      <h2>Code</h2>
      {canWrite ? (
        <PostForm c={c} action={wsPath(c, `/functions/${name}`)}>
          <label>
            Code
            <textarea name="code" spellcheck={false}>
              {fn.code}
            </textarea>
          </label>
          <Field
            label="Timeout (ms, ≤ 1000)"
            name="timeoutMs"
            type="number"
            value={String(fn.timeoutMs)}
            extra={{ min: "1", max: "1000", step: "1", inputmode: "numeric" }}
          />
          <EnvChoice names={names} bound={fn.env ?? []} />
          <button type="submit">Save</button>
        </PostForm>
      ) : (
        <p class="muted">Its source is shown to those who may write functions.</p>
      )}
      {canWrite ? (
        <ActionButton c={c} action={wsPath(c, `/functions/${name}/delete`)} label="Delete function" danger />
      ) : null}
    </>,
  );
}

/** The function forms, read by the verbs' own schemas: the timeout arrives as typed text. */
const createForm = createFunctionInput.extend({
  timeoutMs: typedNumber(createFunctionInput.shape.timeoutMs),
});
const updateForm = updateFunctionInput.extend({
  timeoutMs: typedNumber(updateFunctionInput.shape.timeoutMs),
});

function parseArgs(text: string): unknown {
  if (text.trim() === "") return null;
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError("invalid_request", "Arguments must be JSON", { details: { field: "args" } });
  }
}

export const functionPages = new Hono<AppEnv>()
  .get("/app/w/:workspaceId/functions", (c) => functionsPage(c))
  .post("/app/w/:workspaceId/functions", (c) =>
    attempt(
      async () => {
        const form = formOf(c);
        const created = await createFunction({
          ctx: c.var.ctx,
          input: parseForm(createForm, {
            workspaceId: c.req.param("workspaceId"),
            name: form.text("name"),
            code: form.text("code"),
            timeoutMs: form.text("timeoutMs"),
            env: form.all("env"),
          }),
        });
        return done(c, wsPath(c, `/functions/${created.name}`), "function_saved");
      },
      (error) => functionsPage(c, error),
    ),
  )
  .get("/app/w/:workspaceId/functions/:name", (c) => functionPage(c))
  .post("/app/w/:workspaceId/functions/:name", (c) =>
    attempt(
      async () => {
        const form = formOf(c);
        await updateFunction({
          ctx: c.var.ctx,
          input: parseForm(updateForm, {
            workspaceId: c.req.param("workspaceId"),
            name: c.req.param("name"),
            code: form.text("code"),
            timeoutMs: form.text("timeoutMs"),
            // Only a form that offered the secrets (an admin's) rebinds them.
            ...(form.checked("envShown") ? { env: form.all("env") } : {}),
          }),
        });
        return done(c, wsPath(c, `/functions/${c.req.param("name")}`), "function_saved");
      },
      (error) => functionPage(c, { error }),
    ),
  )
  .post("/app/w/:workspaceId/functions/:name/invoke", (c) =>
    attempt(
      async () => {
        const args = parseArgs(formOf(c).text("args"));
        let run: Invocation;
        try {
          run = await invokeFunction({
            ctx: c.var.ctx,
            input: { workspaceId: c.req.param("workspaceId"), name: c.req.param("name"), args },
          });
        } catch (error) {
          if (!(error instanceof ApiError) || error.code !== "sandbox_error") throw error;
          const logs = (error.details as { logs?: string[] } | undefined)?.logs ?? [];
          run = { error, logs };
        }
        // Invoking may change data: answer with a redirect (a reload shows, never runs again).
        const logs = clip(run.logs.join("\n"));
        return redirectWithFlash(c, wsPath(c, `/functions/${c.req.param("name")}`), {
          state: {
            run: {
              args: clip(formOf(c).text("args"), 500),
              logs: logs === "" ? [] : logs.split("\n"),
              ...(run.error
                ? {
                    error:
                      run.error instanceof ApiError
                        ? { code: run.error.code, message: clip(run.error.message) }
                        : { code: "internal_error", message: "The function failed" },
                  }
                : {
                    result: clip(JSON.stringify(run.result, null, 2) ?? "undefined"),
                    durationMs: run.durationMs,
                  }),
            },
          },
        });
      },
      (error) => functionPage(c, { error }),
    ),
  )
  .post("/app/w/:workspaceId/functions/:name/delete", async (c) => {
    await deleteFunction({
      ctx: c.var.ctx,
      input: { workspaceId: c.req.param("workspaceId"), name: c.req.param("name") },
    });
    return done(c, wsPath(c, "/functions"), "function_deleted");
  });
