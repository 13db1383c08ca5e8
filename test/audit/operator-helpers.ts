// Operator credentials for tests: a fresh random token per operator, configured (as its SHA-256
// hash) in an environment passed to the real app.
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { buildApp } from "../../src/app";
import { randomToken, sha256Hex } from "../../src/lib/crypto";

export interface Operator {
  id: string;
  token: string;
  /** Worker vars configuring this operator. */
  vars: Record<string, string>;
}

export async function makeOperator(id = "oncall-alice"): Promise<Operator> {
  const token = randomToken();
  return { id, token, vars: { OPERATOR_TOKENS: JSON.stringify({ [id]: await sha256Hex(token) }) } };
}

/** Calls the real app under `env` plus `vars`, as `call` does for the default environment. */
export async function callWith(
  vars: Record<string, string>,
  method: string,
  path: string,
  opts: { authorization?: string; body?: unknown; ip?: string } = {},
): Promise<Response> {
  const headers = new Headers({
    "CF-Connecting-IP": opts.ip ?? "192.0.2.44",
    "User-Agent": "vitest-operator",
  });
  if (opts.authorization) headers.set("Authorization", opts.authorization);
  if (opts.body !== undefined) headers.set("Content-Type", "application/json");
  const ctx = createExecutionContext();
  const res = await buildApp().fetch(
    new Request(`http://islet.test${path}`, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    }),
    { ...env, ...vars },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}
