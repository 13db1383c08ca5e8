import { ApiError } from "../../lib/errors";
import { runFunction, validateFunction } from "../../sandbox";
import type { ServiceContext } from "../../types";
import { authorizeWorkspace } from "../access";
import { commitWithAudit, recordAudit } from "../audit";
import { secretsFor } from "./secrets";

export { listSecrets, setSecret } from "./secrets";

export interface FunctionDefinition {
  name: string;
  code: string;
  timeoutMs: number;
  env: string[];
  createdAt: number;
  updatedAt: number;
}

const toDefinition = (r: Record<string, unknown>): FunctionDefinition => ({
  name: String(r.name),
  code: String(r.code),
  timeoutMs: Number(r.timeout_ms),
  env: JSON.parse(String(r.env)) as string[],
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export async function createFunction({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { workspaceId: string; name: string; code: string; timeoutMs: number; env: string[] };
}): Promise<FunctionDefinition> {
  const access = await authorizeWorkspace(ctx, input.workspaceId, {
    role: "member",
    scope: "functions:write",
  });
  const check = await validateFunction(input.code);
  if (!check.ok) throw new ApiError("invalid_request", `The code does not compile: ${check.message}`);
  const now = Date.now();
  try {
    await commitWithAudit(
      ctx,
      await access.db(),
      [
        {
          sql: "INSERT INTO _islet_functions (name, code, timeout_ms, env, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
          args: [input.name, input.code, input.timeoutMs, JSON.stringify(input.env), now, now],
        },
      ],
      [{ action: "function.create", targetType: "function", targetId: input.name }],
    );
  } catch (error) {
    if (/UNIQUE constraint/i.test(String(error)))
      throw new ApiError("conflict", `Function ${input.name} exists`);
    throw error;
  }
  return {
    name: input.name,
    code: input.code,
    timeoutMs: input.timeoutMs,
    env: input.env,
    createdAt: now,
    updatedAt: now,
  };
}

export async function listFunctions({ ctx, input }: { ctx: ServiceContext; input: { workspaceId: string } }) {
  const access = await authorizeWorkspace(ctx, input.workspaceId, { role: "viewer", scope: "data:read" });
  const result = await (await access.db()).execute("SELECT * FROM _islet_functions ORDER BY name");
  return result.rows.map((r) => toDefinition(r as unknown as Record<string, unknown>));
}

export async function deleteFunction({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { workspaceId: string; name: string };
}): Promise<void> {
  const access = await authorizeWorkspace(ctx, input.workspaceId, {
    role: "member",
    scope: "functions:write",
  });
  const [result] = await commitWithAudit(
    ctx,
    await access.db(),
    [{ sql: "DELETE FROM _islet_functions WHERE name = ?", args: [input.name] }],
    [{ action: "function.delete", targetType: "function", targetId: input.name }],
  );
  if (result?.rowsAffected === 0) throw new ApiError("not_found", `Function ${input.name} does not exist`);
}

/**
 * Runs a function in the sandbox with its secrets as a frozen `env`. Sandbox failures are 422
 * `sandbox_error` naming the kind (timeout, memory, …); the invocation is audited either way.
 */
export async function invokeFunction({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { workspaceId: string; name: string; args: unknown };
}): Promise<{ result: unknown; logs: string[]; durationMs: number }> {
  const access = await authorizeWorkspace(ctx, input.workspaceId, { role: "member", scope: "functions:run" });
  const db = await access.db();
  const found = await db.execute({
    sql: "SELECT * FROM _islet_functions WHERE name = ?",
    args: [input.name],
  });
  const row = found.rows[0];
  if (!row) throw new ApiError("not_found", `Function ${input.name} does not exist`);
  const fn = toDefinition(row as unknown as Record<string, unknown>);
  const env = await secretsFor(ctx, db, input.workspaceId, fn.env);
  const outcome = await runFunction({
    code: fn.code,
    args: input.args,
    env,
    limits: { timeoutMs: fn.timeoutMs },
  });
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
  if (!outcome.ok) {
    throw new ApiError("sandbox_error", outcome.error.message, {
      details: { kind: outcome.error.kind, logs: outcome.logs },
    });
  }
  return { result: outcome.value, logs: outcome.logs, durationMs: outcome.durationMs };
}
