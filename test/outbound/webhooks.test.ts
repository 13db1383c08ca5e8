// Webhooks end to end: the real queue (Miniflare's) and consumer, a local receiver, and the
// signatures checked by the `standardwebhooks` package, an independent implementation.
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { tenantDb } from "../../src/db/tenant/client";
import { call, errorCode, json, testConfig } from "../helpers";
import { makeTeam, type Team } from "../workspaces/fixtures";
import { fixture, receivedBy, receiver, registerEndpoint, waitFor } from "./hooks";

const endpoint = (team: Team, events: string[], fail = 0) =>
  registerEndpoint(team.admin.token, team.workspace.id, events, fail);

async function table(team: Team) {
  const res = await call("POST", `/v1/workspaces/${team.workspace.id}/tables`, {
    token: team.owner.token,
    body: {
      name: "todos",
      columns: [
        { name: "title", type: "text", unique: true },
        { name: "api_token", type: "text" },
      ],
    },
  });
  expect(res.status).toBe(201);
}

/** A credential-looking value a row may hold in its `api_token` column. */
const ROW_TOKEN = "tok_live_0123456789abcdef";

const insert = (team: Team, title: string) =>
  call("POST", `/v1/workspaces/${team.workspace.id}/tables/todos/rows`, {
    token: team.owner.token,
    body: { title, api_token: ROW_TOKEN },
  });

describe("webhooks", () => {
  it("signs row events as Standard Webhooks, only after the write commits", async () => {
    const team = await makeTeam();
    await table(team);
    const hook = await endpoint(team, ["row.created"]);
    expect(hook.secret).toMatch(/^whsec_/);
    expect((await insert(team, "a")).status).toBe(201);
    expect((await insert(team, "a")).status).toBe(409); // rolled back: announces nothing
    expect((await insert(team, "b")).status).toBe(201);
    const requests = await waitFor(hook.name, 2);
    expect(requests).toHaveLength(2);
    const verifier = new Webhook(hook.secret);
    const payloads = requests.map(
      (r) =>
        verifier.verify(r.body, r.headers) as {
          type: string;
          data: { row: { title: string; api_token: unknown } };
        },
    );
    expect(payloads.map((p) => [p.type, p.data.row.title]).sort()).toEqual([
      ["row.created", "a"],
      ["row.created", "b"],
    ]);
    // Fields named like credentials are redacted, as in logs (architecture §8: payloads never contain
    // secrets): the row's `api_token` arrives as "[redacted]", its value nowhere in the body.
    for (const p of payloads) expect(p.data.row.api_token).toBe("[redacted]");
    // A forged or altered body does not verify.
    expect(() =>
      verifier.verify(requests[0]?.body.replace('"a"', '"x"') ?? "", requests[0]?.headers ?? {}),
    ).toThrow();
    for (const r of requests) {
      expect(r.body).not.toContain("whsec_");
      expect(r.body).not.toContain(ROW_TOKEN);
    }
    const list = await call("GET", `/v1/workspaces/${team.workspace.id}/webhooks`, {
      token: team.admin.token,
    });
    expect(await list.text()).not.toContain(hook.secret);
  });

  it("retries a failing endpoint on the schedule and logs every attempt", async () => {
    const team = await makeTeam();
    const hook = await endpoint(team, ["webhook.test"], 1);
    const res = await call("POST", `/v1/workspaces/${team.workspace.id}/webhooks/${hook.id}/test`, {
      token: team.admin.token,
    });
    expect(res.status).toBe(202);
    const requests = await waitFor(hook.name, 2);
    expect(requests.map((r) => r.status)).toEqual([500, 200]);
    // The same message id on every attempt, so a receiver can deduplicate.
    expect(requests[0]?.headers["webhook-id"]).toBe(requests[1]?.headers["webhook-id"]);
    const log = await json<{ deliveries: { status: string; attempts: number; lastStatus: number }[] }>(
      await call("GET", `/v1/workspaces/${team.workspace.id}/webhooks/${hook.id}/deliveries`, {
        token: team.admin.token,
      }),
    );
    expect(log.deliveries[0]).toMatchObject({ status: "succeeded", attempts: 2, lastStatus: 200 });
  });

  it("disables an endpoint failing for five days and emails the owners", async () => {
    const team = await makeTeam();
    const hook = await endpoint(team, ["webhook.test"], 1);
    const db = await tenantDb(testConfig(), team.workspace);
    // Standing in for five days of failures.
    await db.execute({
      sql: "UPDATE _islet_webhooks SET failing_since = ? WHERE id = ?",
      args: [Date.now() - 5 * 86_400_000 - 1000, hook.id],
    });
    await call("POST", `/v1/workspaces/${team.workspace.id}/webhooks/${hook.id}/test`, {
      token: team.admin.token,
    });
    await waitFor(hook.name, 1);
    let state = { enabled: true, disabledReason: null as string | null };
    for (let i = 0; i < 50 && state.enabled; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      state = (
        await json<{ webhook: typeof state }>(
          await call("GET", `/v1/workspaces/${team.workspace.id}/webhooks/${hook.id}`, {
            token: team.admin.token,
          }),
        )
      ).webhook;
    }
    expect(state).toMatchObject({ enabled: false, disabledReason: "failing for 5 days" });
    const outbox = await json<{ messages: { subject: string }[] }>(
      await call("GET", `/v1/dev/outbox?to=${encodeURIComponent(team.owner.email)}`, {
        headers: { "CF-Connecting-IP": "127.0.0.1" },
      }),
    );
    expect(outbox.messages.map((m) => m.subject).join()).toMatch(/webhook endpoint .* was disabled/);
  });

  it("delivers to the registered origin only: a redirect elsewhere is a failed attempt, not followed", async () => {
    const team = await makeTeam();
    const target = await receiver();
    const elsewhere = target.url.replace("127.0.0.1", "localhost");
    const res = await call("POST", `/v1/workspaces/${team.workspace.id}/webhooks`, {
      token: team.admin.token,
      body: {
        url: `${fixture}/api/redirect?status=307&to=${encodeURIComponent(elsewhere)}`,
        events: ["webhook.test"],
      },
    });
    expect(res.status).toBe(201);
    const { webhook } = await json<{ webhook: { id: string } }>(res);
    await call("POST", `/v1/workspaces/${team.workspace.id}/webhooks/${webhook.id}/test`, {
      token: team.admin.token,
    });
    let attempt: { attempts: number; lastStatus: number | null } | undefined;
    for (let i = 0; i < 100 && !attempt?.attempts; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      attempt = (
        await json<{ deliveries: { attempts: number; lastStatus: number | null }[] }>(
          await call("GET", `/v1/workspaces/${team.workspace.id}/webhooks/${webhook.id}/deliveries`, {
            token: team.admin.token,
          }),
        )
      ).deliveries[0];
    }
    expect(attempt).toMatchObject({ attempts: 1, lastStatus: 307 });
    expect(await receivedBy(target.name)).toEqual([]);
  });

  it("refuses endpoints the outbound guard refuses, and non-admins", async () => {
    const team = await makeTeam();
    const create = (token: string, url: string) =>
      call("POST", `/v1/workspaces/${team.workspace.id}/webhooks`, {
        token,
        body: { url, events: ["row.created"] },
      });
    expect(await errorCode(await create(team.admin.token, "https://private.example.test/hook"))).toBe(
      "outbound_refused",
    );
    expect(await errorCode(await create(team.admin.token, "https://169.254.169.254/"))).toBe(
      "outbound_refused",
    );
    expect(await errorCode(await create(team.member.token, `${fixture}/hooks/x`))).toBe("forbidden");
  });
});
