// Audit coverage of tenant data routes: tables and rows. Each exercise makes its own workspace.
import { env } from "cloudflare:workers";
import { call, json, makeUser, makeWorkspace } from "../helpers";
import type { CoverageTable } from "./coverage-harness";

const TABLE = { name: "notes", columns: [{ name: "body", type: "text" }] };

async function withTable() {
  const owner = await makeUser();
  const workspace = await makeWorkspace(owner);
  const base = `/v1/workspaces/${workspace.id}/tables`;
  const created = await call("POST", base, { token: owner.token, body: TABLE });
  if (created.status !== 201) throw new Error(`table setup failed: ${created.status}`);
  return { owner, workspace, base };
}

async function withRow() {
  const setup = await withTable();
  const res = await call("POST", `${setup.base}/notes/rows`, {
    token: setup.owner.token,
    body: { body: "hi" },
  });
  const { rows } = await json<{ rows: { id: number }[] }>(res);
  return { ...setup, id: rows[0]?.id };
}

export const dataCoverage: CoverageTable = {
  "POST /v1/workspaces/:workspaceId/tables": {
    tenant: ["table.create"],
    exercise: async (t) => {
      const owner = await makeUser();
      const workspace = await makeWorkspace(owner);
      const res = await t.send("POST", `/v1/workspaces/${workspace.id}/tables`, {
        token: owner.token,
        body: TABLE,
      });
      return { res, workspace };
    },
  },
  "PATCH /v1/workspaces/:workspaceId/tables/:table": {
    tenant: ["table.alter"],
    exercise: async (t) => {
      const { owner, workspace, base } = await withTable();
      return {
        res: await t.send("PATCH", `${base}/notes`, {
          token: owner.token,
          body: { addColumns: [{ name: "title", type: "text" }] },
        }),
        workspace,
      };
    },
  },
  "DELETE /v1/workspaces/:workspaceId/tables/:table": {
    tenant: ["table.drop"],
    exercise: async (t) => {
      const { owner, workspace, base } = await withTable();
      return {
        res: await t.send("DELETE", `${base}/notes`, { token: owner.token, body: { confirm: "notes" } }),
        workspace,
      };
    },
  },
  "POST /v1/workspaces/:workspaceId/tables/:table/rows": {
    tenant: ["row.insert"],
    exercise: async (t) => {
      const { owner, workspace, base } = await withTable();
      return {
        res: await t.send("POST", `${base}/notes/rows`, { token: owner.token, body: { body: "x" } }),
        workspace,
      };
    },
  },
  "PATCH /v1/workspaces/:workspaceId/tables/:table/rows/:id": {
    tenant: ["row.update"],
    exercise: async (t) => {
      const { owner, workspace, base, id } = await withRow();
      return {
        res: await t.send("PATCH", `${base}/notes/rows/${id}`, { token: owner.token, body: { body: "y" } }),
        workspace,
      };
    },
  },
  "DELETE /v1/workspaces/:workspaceId/tables/:table/rows/:id": {
    tenant: ["row.delete"],
    exercise: async (t) => {
      const { owner, workspace, base, id } = await withRow();
      return { res: await t.send("DELETE", `${base}/notes/rows/${id}`, { token: owner.token }), workspace };
    },
  },
};

async function owned() {
  const owner = await makeUser();
  const workspace = await makeWorkspace(owner);
  return { owner, workspace, base: `/v1/workspaces/${workspace.id}` };
}

const FN = { name: "hello", code: "function main(args) { return args; }" };

const ACCOUNT = { authHeaderName: "X-Api-Key", authHeaderValue: "upstream-secret-1234" };
async function withAccount() {
  const setup = await owned();
  const baseUrl = `${env.TEST_OUTBOUND_FIXTURE_URL}/api`;
  const res = await call("PUT", `${setup.base}/accounts/upstream`, {
    token: setup.owner.token,
    body: { ...ACCOUNT, baseUrl },
  });
  if (res.status !== 200) throw new Error(`account setup failed: ${res.status}`);
  return setup;
}

export const accountsCoverage: CoverageTable = {
  "PUT /v1/workspaces/:workspaceId/accounts/:name": {
    tenant: ["account.put"],
    exercise: async (t) => {
      const { owner, workspace, base } = await owned();
      const res = await t.send("PUT", `${base}/accounts/upstream`, {
        token: owner.token,
        body: { ...ACCOUNT, baseUrl: `${env.TEST_OUTBOUND_FIXTURE_URL}/api` },
      });
      return { res, workspace };
    },
  },
  "DELETE /v1/workspaces/:workspaceId/accounts/:name": {
    tenant: ["account.delete"],
    status: 204,
    exercise: async (t) => {
      const { owner, workspace, base } = await withAccount();
      return { res: await t.send("DELETE", `${base}/accounts/upstream`, { token: owner.token }), workspace };
    },
  },
  "POST /v1/workspaces/:workspaceId/accounts/:name/fetch": {
    tenant: ["account.fetch"],
    exercise: async (t) => {
      const { owner, workspace, base } = await withAccount();
      const res = await t.send("POST", `${base}/accounts/upstream/fetch`, {
        token: owner.token,
        body: { method: "GET", path: "/things" },
      });
      return { res, workspace };
    },
  },
};

async function withWebhook() {
  const setup = await owned();
  const res = await call("POST", `${setup.base}/webhooks`, {
    token: setup.owner.token,
    body: { url: `${env.TEST_OUTBOUND_FIXTURE_URL}/hooks/coverage`, events: ["webhook.test"] },
  });
  const { webhook } = await json<{ webhook: { id: string } }>(res);
  return { ...setup, hook: `${setup.base}/webhooks/${webhook.id}` };
}

export const webhooksCoverage: CoverageTable = {
  "POST /v1/workspaces/:workspaceId/webhooks": {
    tenant: ["webhook.create"],
    status: 201,
    exercise: async (t) => {
      const { owner, workspace, base } = await owned();
      const res = await t.send("POST", `${base}/webhooks`, {
        token: owner.token,
        body: { url: `${env.TEST_OUTBOUND_FIXTURE_URL}/hooks/coverage`, events: ["row.created"] },
      });
      return { res, workspace };
    },
  },
  "PATCH /v1/workspaces/:workspaceId/webhooks/:webhookId": {
    tenant: ["webhook.update"],
    exercise: async (t) => {
      const { owner, workspace, hook } = await withWebhook();
      return {
        res: await t.send("PATCH", hook, { token: owner.token, body: { description: "d" } }),
        workspace,
      };
    },
  },
  "DELETE /v1/workspaces/:workspaceId/webhooks/:webhookId": {
    tenant: ["webhook.delete"],
    status: 204,
    exercise: async (t) => {
      const { owner, workspace, hook } = await withWebhook();
      return { res: await t.send("DELETE", hook, { token: owner.token }), workspace };
    },
  },
  "POST /v1/workspaces/:workspaceId/webhooks/:webhookId/rotate-secret": {
    tenant: ["webhook.rotate_secret"],
    exercise: async (t) => {
      const { owner, workspace, hook } = await withWebhook();
      return { res: await t.send("POST", `${hook}/rotate-secret`, { token: owner.token }), workspace };
    },
  },
  "POST /v1/workspaces/:workspaceId/webhooks/:webhookId/test": {
    tenant: ["webhook.test"],
    status: 202,
    exercise: async (t) => {
      const { owner, workspace, hook } = await withWebhook();
      return { res: await t.send("POST", `${hook}/test`, { token: owner.token }), workspace };
    },
  },
  "POST /v1/workspaces/:workspaceId/webhooks/:webhookId/deliveries/:deliveryId/redeliver": {
    tenant: ["webhook.redeliver"],
    status: 202,
    exercise: async (t) => {
      const { owner, workspace, hook } = await withWebhook();
      const { deliveryId } = await json<{ deliveryId: string }>(
        await call("POST", `${hook}/test`, { token: owner.token }),
      );
      return {
        res: await t.send("POST", `${hook}/deliveries/${deliveryId}/redeliver`, { token: owner.token }),
        workspace,
      };
    },
  },
};

export const functionsCoverage: CoverageTable = {
  "PUT /v1/workspaces/:workspaceId/functions/secrets/:name": {
    exempt:
      "the secrets API's old path: it only answers 308 to PUT /v1/workspaces/:id/secrets/:name, " +
      "which writes the change and its secret.set event",
  },
  "PUT /v1/workspaces/:workspaceId/secrets/:name": {
    tenant: ["secret.set"],
    exercise: async (t) => {
      const { owner, workspace, base } = await owned();
      const res = await t.send("PUT", `${base}/secrets/API_KEY`, {
        token: owner.token,
        body: { value: "v-1" },
      });
      return { res, workspace };
    },
  },
  "DELETE /v1/workspaces/:workspaceId/secrets/:name": {
    tenant: ["secret.delete"],
    status: 204,
    exercise: async (t) => {
      const { owner, workspace, base } = await owned();
      await call("PUT", `${base}/secrets/API_KEY`, { token: owner.token, body: { value: "v-1" } });
      return { res: await t.send("DELETE", `${base}/secrets/API_KEY`, { token: owner.token }), workspace };
    },
  },
  "POST /v1/workspaces/:workspaceId/functions": {
    tenant: ["function.create"],
    exercise: async (t) => {
      const { owner, workspace, base } = await owned();
      return { res: await t.send("POST", `${base}/functions`, { token: owner.token, body: FN }), workspace };
    },
  },
  "PATCH /v1/workspaces/:workspaceId/functions/:name": {
    tenant: ["function.update"],
    exercise: async (t) => {
      const { owner, workspace, base } = await owned();
      await call("POST", `${base}/functions`, { token: owner.token, body: FN });
      const res = await t.send("PATCH", `${base}/functions/hello`, {
        token: owner.token,
        body: { timeoutMs: 200 },
      });
      return { res, workspace };
    },
  },
  "DELETE /v1/workspaces/:workspaceId/functions/:name": {
    tenant: ["function.delete"],
    exercise: async (t) => {
      const { owner, workspace, base } = await owned();
      await call("POST", `${base}/functions`, { token: owner.token, body: FN });
      return { res: await t.send("DELETE", `${base}/functions/hello`, { token: owner.token }), workspace };
    },
  },
  "POST /v1/workspaces/:workspaceId/functions/:name/invoke": {
    tenant: ["function.invoke"],
    exercise: async (t) => {
      const { owner, workspace, base } = await owned();
      await call("POST", `${base}/functions`, { token: owner.token, body: FN });
      const res = await t.send("POST", `${base}/functions/hello/invoke`, {
        token: owner.token,
        body: { args: 1 },
      });
      return { res, workspace };
    },
  },
  "POST /v1/workspaces/:workspaceId/sql": {
    tenant: ["sql.execute"],
    exercise: async (t) => {
      const { owner, workspace, base } = await owned();
      return {
        res: await t.send("POST", `${base}/sql`, { token: owner.token, body: { sql: "SELECT 1" } }),
        workspace,
      };
    },
  },
};
