// Workspace export (issue 18): the NDJSON archive holds every table's definition and rows, the
// functions, and secret names, never a secret value; admins only (people, not keys); audited.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/control/client";
import { tenantDb } from "../../src/db/tenant/client";
import { SEALED_COLUMNS, sealedColumnName } from "../../src/services/inventory";
import { controlSealedRecords, tenantSealedRecords } from "../../src/services/operator/sealed-records";
import { call, json, testConfig } from "../helpers";
import { makeTeam, mintKey } from "../workspaces/fixtures";

const SECRET_VALUE = "sk-export-test-6c1d9a0e4b7f2389";

describe("GET /v1/workspaces/:id/export", () => {
  it("streams tables with every row, functions and secret names, and no secret value", async () => {
    const team = await makeTeam();
    const ws = `/v1/workspaces/${team.workspace.id}`;
    const made = await call("POST", `${ws}/tables`, {
      token: team.owner.token,
      body: { name: "notes", columns: [{ name: "body", type: "text" }] },
    });
    expect(made.status).toBe(201);
    const rows = Array.from({ length: 1500 }, (_, i) => ({ body: `note ${i}` }));
    for (const chunk of [rows.slice(0, 1000), rows.slice(1000)]) {
      const res = await call("POST", `${ws}/tables/notes/rows`, {
        token: team.owner.token,
        body: { rows: chunk },
      });
      expect(res.status).toBe(201);
    }
    const secret = await call("PUT", `${ws}/secrets/PAYMENTS_KEY`, {
      token: team.admin.token,
      body: { value: SECRET_VALUE, kind: "ai_provider" },
    });
    expect(secret.status).toBe(200);

    const res = await call("GET", `${ws}/export`, { token: team.admin.token });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/x-ndjson");
    expect(res.headers.get("Content-Disposition")).toContain(".ndjson");
    const text = await res.text();
    expect(text).not.toContain(SECRET_VALUE);
    const lines = text
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string } & Record<string, unknown>);
    expect(lines[0]).toMatchObject({
      type: "islet-workspace-export",
      version: 1,
      workspace: { id: team.workspace.id },
    });
    expect(lines.find((l) => l.type === "table")).toMatchObject({
      name: "notes",
      columns: [{ name: "body" }],
    });
    const exported = lines.filter((l) => l.type === "row").map((l) => (l.row as { body: string }).body);
    expect(exported).toHaveLength(1500);
    expect(new Set(exported)).toEqual(new Set(rows.map((r) => r.body)));
    expect(lines.find((l) => l.type === "secret")).toMatchObject({ secret: { name: "PAYMENTS_KEY" } });
    expect(lines.at(-1)).toMatchObject({ type: "end", tables: 1, rows: 1500, secrets: 1 });

    const audit = await (await tenantDb(testConfig(), team.workspace)).execute(
      "SELECT actor_id FROM _islet_audit_log WHERE action = 'workspace.export'",
    );
    expect(audit.rows.map((r) => r.actor_id)).toEqual([team.admin.id]);
  });

  it("holds no sealed record: every sealed column filled, none of its envelopes or values exported", async () => {
    const team = await makeTeam();
    const ws = `/v1/workspaces/${team.workspace.id}`;
    const as = { token: team.admin.token };
    const plaintexts = [
      SECRET_VALUE,
      "upstream-credential-5f0e2b7c9d1a",
      "an-hs256-secret-of-at-least-32-characters!",
    ];
    const made = [
      await call("PUT", `${ws}/secrets/PAYMENTS_KEY`, { ...as, body: { value: plaintexts[0] } }),
      await call("PUT", `${ws}/accounts/upstream`, {
        ...as,
        body: {
          baseUrl: `${env.TEST_OUTBOUND_FIXTURE_URL}/api`,
          authHeaderName: "X-Api-Key",
          authHeaderValue: plaintexts[1],
        },
      }),
      await call("POST", `${ws}/issuers`, {
        ...as,
        body: {
          name: "App auth",
          kind: "hs256",
          secret: plaintexts[2],
          issuer: "https://auth.export.test",
          audience: "app",
        },
      }),
    ];
    expect(made.map((r) => r.status)).toEqual([200, 200, 201]);
    const hook = await json<{ webhook: { id: string }; secret: string }>(
      await call("POST", `${ws}/webhooks`, {
        ...as,
        body: { url: `${env.TEST_OUTBOUND_FIXTURE_URL}/hooks/export`, events: ["row.created"] },
      }),
    );
    // Rotated, so the endpoint holds a previous secret too.
    const rotated = await json<{ secret: string }>(
      await call("POST", `${ws}/webhooks/${hook.webhook.id}/rotate-secret`, as),
    );
    plaintexts.push(hook.secret, rotated.secret);

    const text = await (await call("GET", `${ws}/export`, as)).text();
    // Every sealed column of the inventory holds a record of this workspace (a new column this
    // test does not fill fails here), and no envelope nor value of any is in the archive.
    const sealed = [
      ...(await controlSealedRecords(controlDb(testConfig()).$client, team.workspace.id)),
      ...(await tenantSealedRecords(await tenantDb(testConfig(), team.workspace), team.workspace.id)),
    ];
    expect([...new Set(sealed.map((r) => r.name))].sort()).toEqual(
      SEALED_COLUMNS.map(sealedColumnName).sort(),
    );
    for (const record of sealed) expect(text, record.name).not.toContain(record.envelope);
    for (const value of plaintexts) expect(text).not.toContain(value);
    expect(text).not.toContain("whsec_");
  });

  it("is for admins, and people rather than keys", async () => {
    const team = await makeTeam();
    const path = `/v1/workspaces/${team.workspace.id}/export`;
    expect((await call("GET", path, { token: team.member.token })).status).toBe(403);
    const key = await mintKey(team.owner.token, team.workspace.id, { scopes: ["audit:read", "data:read"] });
    expect((await call("GET", path, { token: key.token })).status).toBe(403);
    expect((await call("GET", "/v1/workspaces/ws_nope/export", { token: team.owner.token })).status).toBe(
      404,
    );
  });
});
