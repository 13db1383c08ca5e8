import type { Client } from "@libsql/client/web";
import { eq } from "drizzle-orm";
import { sqliteConstraint } from "../../db/errors";
import { systemDb } from "../../db/tenant/client";
import { functions } from "../../db/tenant/schema";
import { ApiError } from "../../lib/errors";
import { scrubberFor } from "../../lib/scrub";
import { type HostFunction, runFunction, validateFunction } from "../../sandbox";
import { accountFetchBody, fetchAccount } from "../accounts";
import { commitWithAudit, recordAudit } from "../audit";
import { authorizeWorkspace, type WorkspaceAccess } from "../core/access";
import { assertRoomFor } from "../core/caps";
import { parseInput, type ServiceArgs, type ServiceContext } from "../core/context";
import { withinSandboxBudget } from "../sandbox-budget";
import { secretsFor } from "../secrets";
import { emitWebhookEvent } from "../webhooks";
import { type Binder, binderOf, binderStillMay, mayBindSecrets } from "./binder";
import {
  createFunctionInput,
  FUNCTIONS_NEEDS,
  type FunctionDefinition,
  functionTarget,
  invokeFunctionInput,
  updateFunctionInput,
  workspaceScoped,
} from "./schemas";

export * from "./schemas";

interface StoredFunction extends Required<FunctionDefinition> {
  boundBy: Binder | null;
}

const toStored = (r: typeof functions.$inferSelect): StoredFunction => ({
  name: r.name,
  code: r.code,
  timeoutMs: r.timeoutMs,
  env: JSON.parse(r.env) as string[],
  boundBy: r.boundBy ? (JSON.parse(r.boundBy) as Binder) : null,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

/**
 * What a caller sees of a function: its source only when they may write functions (a function's
 * code may name tables and logic a reader is not allowed to see), `env` names only when they may
 * bind secrets themselves.
 */
function view(fn: StoredFunction, show: { code: boolean; env: boolean }): FunctionDefinition {
  const { boundBy: _, env, code, ...rest } = fn;
  return { ...rest, ...(show.code ? { code } : {}), ...(show.env ? { env } : {}) };
}

/** Writing functions: members, and keys with `functions:write` — never a workspace's end users. */
const WRITE = FUNCTIONS_NEEDS.write;

async function mayWriteFunctions(ctx: ServiceContext, workspaceId: string): Promise<boolean> {
  try {
    await authorizeWorkspace(ctx, workspaceId, WRITE);
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) return false;
    throw error;
  }
}

async function loadFunction(db: Client, name: string): Promise<StoredFunction> {
  const [row] = await systemDb(db).select().from(functions).where(eq(functions.name, name));
  if (!row) throw new ApiError("not_found", `Function ${name} does not exist`);
  return toStored(row);
}

async function compiles(code: string): Promise<void> {
  const check = await validateFunction(code);
  if (!check.ok) throw new ApiError("invalid_request", `The code does not compile: ${check.message}`);
}

/** Binding secrets is reading them: it needs the admin role, or `secrets:write` for keys. */
async function requireBinder(ctx: ServiceContext, workspaceId: string): Promise<Binder> {
  await authorizeWorkspace(ctx, workspaceId, FUNCTIONS_NEEDS.bind);
  return binderOf(ctx);
}

export async function createFunction({
  ctx,
  input: raw,
}: ServiceArgs<{
  workspaceId: string;
  name: string;
  code: string;
  timeoutMs: number;
  env: string[];
}>): Promise<FunctionDefinition> {
  const input = parseInput(createFunctionInput, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, WRITE);
  const boundBy = input.env.length > 0 ? await requireBinder(ctx, input.workspaceId) : null;
  await compiles(input.code);
  const now = Date.now();
  try {
    await commitWithAudit(
      ctx,
      await access.db(),
      // Counted under the write lock: parallel creates cannot pass the plan's cap.
      async (tx) => {
        await assertRoomFor(tx, access.workspace.plan, "functions");
        return [
          {
            sql: "INSERT INTO _islet_functions (name, code, timeout_ms, env, bound_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            args: [
              input.name,
              input.code,
              input.timeoutMs,
              JSON.stringify(input.env),
              boundBy && JSON.stringify(boundBy),
              now,
              now,
            ],
          },
        ];
      },
      [
        {
          action: "function.create",
          targetType: "function",
          targetId: input.name,
          details: input.env.length > 0 ? { env: input.env } : undefined,
        },
      ],
    );
  } catch (error) {
    if (sqliteConstraint(error)?.kind === "unique")
      throw new ApiError("conflict", `Function ${input.name} exists`);
    throw error;
  }
  const created = { ...input, boundBy, createdAt: now, updatedAt: now };
  return view(created, { code: true, env: boundBy !== null || (await mayBindSecrets(ctx, access)) });
}

/**
 * Changes a function's code, timeout or bound secrets. Changing `env`, or the code of a function
 * that has secrets bound, is binding them anew: it needs the admin role (or `secrets:write`).
 */
export async function updateFunction({
  ctx,
  input: raw,
}: ServiceArgs<{
  workspaceId: string;
  name: string;
  code?: string;
  timeoutMs?: number;
  env?: string[];
}>): Promise<FunctionDefinition> {
  const input = parseInput(updateFunctionInput, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, WRITE);
  const db = await access.db();
  const current = await loadFunction(db, input.name);
  const env = input.env ?? current.env;
  const code = input.code ?? current.code;
  const rebinds = input.env !== undefined || (input.code !== undefined && current.env.length > 0);
  let boundBy = current.boundBy;
  if (rebinds) boundBy = env.length > 0 ? await requireBinder(ctx, input.workspaceId) : null;
  if (input.code !== undefined) await compiles(code);
  const next: StoredFunction = {
    ...current,
    code,
    env,
    boundBy,
    timeoutMs: input.timeoutMs ?? current.timeoutMs,
    updatedAt: Date.now(),
  };
  const [result] = await commitWithAudit(
    ctx,
    db,
    [
      {
        // Guarded by the row as read, so a concurrent change is a conflict, not silently lost.
        sql: `UPDATE _islet_functions SET code = ?, timeout_ms = ?, env = ?, bound_by = ?, updated_at = ?
              WHERE name = ? AND updated_at = ?`,
        args: [
          next.code,
          next.timeoutMs,
          JSON.stringify(next.env),
          next.boundBy && JSON.stringify(next.boundBy),
          next.updatedAt,
          next.name,
          current.updatedAt,
        ],
      },
    ],
    [
      {
        action: "function.update",
        targetType: "function",
        targetId: input.name,
        details: {
          changed: (["code", "timeoutMs", "env"] as const).filter((k) => input[k] !== undefined),
          ...(input.env !== undefined ? { env: input.env } : {}),
        },
      },
    ],
  );
  if (result?.rowsAffected === 0) throw new ApiError("conflict", `Function ${input.name} changed meanwhile`);
  return view(next, { code: true, env: await mayBindSecrets(ctx, access) });
}

export async function listFunctions({ ctx, input: raw }: ServiceArgs<{ workspaceId: string }>) {
  const input = parseInput(workspaceScoped, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, FUNCTIONS_NEEDS.list);
  const rows = await systemDb(await access.db())
    .select()
    .from(functions)
    .orderBy(functions.name);
  const show = {
    code: await mayWriteFunctions(ctx, access.workspace.id),
    env: await mayBindSecrets(ctx, access),
  };
  return rows.map((r) => view(toStored(r), show));
}

export async function deleteFunction({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; name: string }>): Promise<void> {
  const input = parseInput(functionTarget, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, WRITE);
  const [result] = await commitWithAudit(
    ctx,
    await access.db(),
    [{ sql: "DELETE FROM _islet_functions WHERE name = ?", args: [input.name] }],
    [{ action: "function.delete", targetType: "function", targetId: input.name }],
  );
  if (result?.rowsAffected === 0) throw new ApiError("not_found", `Function ${input.name} does not exist`);
}

async function boundSecrets(
  ctx: ServiceContext,
  access: WorkspaceAccess,
  db: Client,
  fn: StoredFunction,
): Promise<Record<string, string>> {
  if (fn.env.length === 0) return {};
  if (!fn.boundBy || !(await binderStillMay(ctx, access.workspace.id, fn.boundBy))) {
    throw new ApiError(
      "forbidden",
      `The secrets of function ${fn.name} were bound by someone who may no longer bind secrets; an admin must bind them again`,
    );
  }
  return secretsFor(ctx, db, access.workspace.id, fn.env);
}

/**
 * What a function may call out to: its workspace's API accounts, by name, as its caller would
 * through `POST …/accounts/:name/fetch` (same role and scope, same guard, caps and audit). The
 * workspace is the function's own whatever the code passes, and the credential never enters
 * the sandbox: the answer arrives scrubbed of it.
 */
function hostFor(ctx: ServiceContext, workspaceId: string): Record<string, HostFunction> {
  return {
    "accounts.fetch": async (arg) => {
      const { account, request } = (arg ?? {}) as { account?: unknown; request?: unknown };
      // The request is checked as the REST body is (a stray field is refused); the account's name
      // by fetchAccount's own schema.
      const body = parseInput(accountFetchBody, request);
      const input = { ...body, workspaceId, name: account as string };
      return fetchAccount({ ctx, input });
    },
  };
}

/**
 * Runs a function in the sandbox with its secrets as a frozen `env`. Sandbox failures are 422
 * `sandbox_error` naming the kind (timeout, memory, …); the invocation is audited either way.
 * Result, logs and error message are scrubbed of the bound values before they leave.
 */
export async function invokeFunction({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; name: string; args?: unknown }>): Promise<{
  result: unknown;
  logs: string[];
  durationMs: number;
}> {
  const input = parseInput(invokeFunctionInput, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, FUNCTIONS_NEEDS.run);
  const db = await access.db();
  const fn = await loadFunction(db, input.name);
  const env = await boundSecrets(ctx, access, db, fn);
  const outcome = await withinSandboxBudget(
    ctx,
    fn.timeoutMs,
    (limits, onUsage) =>
      runFunction({
        code: fn.code,
        args: input.args ?? null,
        env,
        // Only code that names `islet` gets the host: calling out runs on the sandbox's one host
        // lane, and the others keep the fast, synchronous path.
        ...(/\bislet\b/.test(fn.code) ? { host: hostFor(ctx, access.workspace.id) } : {}),
        limits,
        onUsage,
      }),
    (result) => !result.ok && result.error.kind === "timeout",
  );
  const scrub = scrubberFor(Object.values(env));
  const logs = outcome.logs.map(scrub.text);
  await recordAudit(ctx, db, {
    action: "function.invoke",
    targetType: "function",
    targetId: fn.name,
    details: {
      ok: outcome.ok,
      durationMs: Math.round(outcome.durationMs),
      ...(outcome.ok ? {} : { kind: outcome.error.kind }),
    },
  });
  if (!outcome.ok && outcome.error.kind === "busy") {
    throw new ApiError("unavailable", outcome.error.message, { headers: { "Retry-After": "1" } });
  }
  if (!outcome.ok) {
    emitWebhookEvent(ctx, access.workspace.id, "function.failed", {
      name: fn.name,
      kind: outcome.error.kind,
    });
    throw new ApiError("sandbox_error", scrub.text(outcome.error.message), {
      details: { kind: outcome.error.kind, logs },
    });
  }
  return { result: scrub.value(outcome.value), logs, durationMs: outcome.durationMs };
}
