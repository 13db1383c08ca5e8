// The local webhook receiver (test/fixtures/outbound.ts) as tests see it: endpoints registered
// against it, and what each one was sent.
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { newId } from "../../src/lib/ids";
import { call, json } from "../helpers";

export const fixture = env.TEST_OUTBOUND_FIXTURE_URL;

export interface Received {
  headers: Record<string, string>;
  body: string;
  status: number;
}

export async function receivedBy(name: string): Promise<Received[]> {
  return (await (await fetch(`${fixture}/hooks-log/${name}`)).json<{ requests: Received[] }>()).requests;
}

/** Waits (bounded) until the receiver has been sent `count` requests. */
export async function waitFor(name: string, count: number, timeoutMs = 15_000): Promise<Received[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const requests = await receivedBy(name);
    if (requests.length >= count || Date.now() > until) return requests;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A fresh receiver name, answering 500 to its first `fail` requests. */
export async function receiver(fail = 0): Promise<{ name: string; url: string }> {
  const name = newId("h").slice(-12).toLowerCase();
  await fetch(`${fixture}/hooks-control/${name}?fail=${fail}`);
  return { name, url: `${fixture}/hooks/${name}` };
}

/** Registers an endpoint for `events` at a fresh receiver, as `token`. */
export async function registerEndpoint(token: string, workspaceId: string, events: string[], fail = 0) {
  const { name, url } = await receiver(fail);
  const res = await call("POST", `/v1/workspaces/${workspaceId}/webhooks`, { token, body: { url, events } });
  expect(res.status, await res.clone().text()).toBe(201);
  const created = await json<{ webhook: { id: string }; secret: string }>(res);
  return { name, id: created.webhook.id, secret: created.secret };
}
