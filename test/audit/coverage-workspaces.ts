// Audit coverage of workspace routes: workspaces, members, invitations, keys, issuers, and the
// operator's break-glass read. Each exercise makes its own users and workspace.
import { tenantDb } from "../../src/db/tenant/client";
import { json, makeUser, makeWorkspace, testConfig } from "../helpers";
import { addMember, mintKey } from "../workspaces/fixtures";
import { type CoverageTable, expectOk } from "./coverage-harness";
import { callWith, makeOperator } from "./operator-helpers";

async function ownedWorkspace() {
  const owner = await makeUser();
  const workspace = await makeWorkspace(owner);
  return { owner, workspace, base: `/v1/workspaces/${workspace.id}` };
}

const hs256Issuer = () => ({
  name: "app",
  kind: "hs256",
  secret: "s".repeat(16) + crypto.randomUUID(),
  audience: "app-users",
  issuer: `https://auth.${crypto.randomUUID().slice(0, 8)}.example`,
});

export const workspaceCoverage: CoverageTable = {
  "POST /v1/workspaces": {
    tenant: ["workspace.create"],
    exercise: async (t) => {
      const owner = await makeUser();
      const res = await t.send("POST", "/v1/workspaces", {
        token: owner.token,
        body: { name: "Cov", region: "us-east" },
      });
      const body = await json<{ workspace: { id: string } }>(res.clone());
      return { res, workspace: body.workspace.id };
    },
  },
  "POST /v1/workspaces/:workspaceId/import": {
    tenant: ["table.import", "secret.set", "workspace.import"],
    exercise: async (t) => {
      const { owner, workspace, base } = await ownedWorkspace();
      const archive = [
        { type: "islet-workspace-export", version: 1 },
        { type: "table", name: "notes", columns: [{ name: "body", type: "text" }], indexes: [] },
        { type: "row", table: "notes", row: { id: 3, created_at: 1, updated_at: 2, body: "kept" } },
        { type: "secret", secret: { name: "API_TOKEN", kind: "env" }, value: "coverage-secret-value" },
        { type: "end", tables: 1, rows: 1, functions: 0, webhooks: 0, issuers: 0, secrets: 1, accounts: 0 },
      ]
        .map((line) => JSON.stringify(line))
        .join("\n");
      const res = await t.send("POST", `${base}/import`, {
        token: owner.token,
        body: archive,
        headers: { "Content-Type": "application/x-ndjson" },
      });
      return { res, workspace };
    },
  },
  "PATCH /v1/workspaces/:workspaceId": {
    tenant: ["workspace.rename"],
    exercise: async (t) => {
      const { owner, workspace, base } = await ownedWorkspace();
      return {
        res: await t.send("PATCH", base, { token: owner.token, body: { name: "Renamed" } }),
        workspace,
      };
    },
  },
  "POST /v1/workspaces/:workspaceId/transfer": {
    tenant: ["workspace.transfer"],
    exercise: async (t) => {
      const { owner, workspace, base } = await ownedWorkspace();
      const admin = await addMember(workspace, "admin");
      return {
        res: await t.send("POST", `${base}/transfer`, { token: owner.token, body: { userId: admin.id } }),
        workspace,
      };
    },
  },
  "DELETE /v1/workspaces/:workspaceId": {
    // The tenant database (and its log) is destroyed with the workspace: the event goes to the platform log.
    platform: ["workspace.delete"],
    exercise: async (t) => {
      const { owner, workspace, base } = await ownedWorkspace();
      return { res: await t.send("DELETE", base, { token: owner.token, body: { confirm: workspace.slug } }) };
    },
  },
  "POST /v1/workspaces/:workspaceId/issuers": {
    tenant: ["issuer.create"],
    exercise: async (t) => {
      const { owner, workspace, base } = await ownedWorkspace();
      return {
        res: await t.send("POST", `${base}/issuers`, { token: owner.token, body: hs256Issuer() }),
        workspace,
      };
    },
  },
  "DELETE /v1/workspaces/:workspaceId/issuers/:issuerId": {
    tenant: ["issuer.delete"],
    exercise: async (t) => {
      const { owner, workspace, base } = await ownedWorkspace();
      const created = await t.send("POST", `${base}/issuers`, { token: owner.token, body: hs256Issuer() });
      const { issuer } = await json<{ issuer: { id: string } }>(await expectOk(created, "create issuer"));
      return {
        res: await t.send("DELETE", `${base}/issuers/${issuer.id}`, { token: owner.token }),
        workspace,
      };
    },
  },
  "POST /v1/workspaces/:workspaceId/members/invitations": {
    tenant: ["member.invite"],
    exercise: async (t) => {
      const { owner, workspace, base } = await ownedWorkspace();
      const body = { email: `invitee-${crypto.randomUUID().slice(0, 8)}@example.test`, role: "viewer" };
      return {
        res: await t.send("POST", `${base}/members/invitations`, { token: owner.token, body }),
        workspace,
      };
    },
  },
  "DELETE /v1/workspaces/:workspaceId/members/invitations/:invitationId": {
    tenant: ["invitation.revoke"],
    exercise: async (t) => {
      const { owner, workspace, base } = await ownedWorkspace();
      const body = { email: `invitee-${crypto.randomUUID().slice(0, 8)}@example.test`, role: "viewer" };
      const created = await t.send("POST", `${base}/members/invitations`, { token: owner.token, body });
      const { invitation } = await json<{ invitation: { id: string } }>(await expectOk(created, "invite"));
      return {
        res: await t.send("DELETE", `${base}/members/invitations/${invitation.id}`, { token: owner.token }),
        workspace,
      };
    },
  },
  "POST /v1/workspaces/:workspaceId/members/leave": {
    tenant: ["member.leave"],
    exercise: async (t) => {
      const { workspace, base } = await ownedWorkspace();
      const member = await addMember(workspace, "member");
      return { res: await t.send("POST", `${base}/members/leave`, { token: member.token }), workspace };
    },
  },
  "PATCH /v1/workspaces/:workspaceId/members/:userId": {
    tenant: ["member.role_change"],
    exercise: async (t) => {
      const { owner, workspace, base } = await ownedWorkspace();
      const member = await addMember(workspace, "member");
      return {
        res: await t.send("PATCH", `${base}/members/${member.id}`, {
          token: owner.token,
          body: { role: "viewer" },
        }),
        workspace,
      };
    },
  },
  "DELETE /v1/workspaces/:workspaceId/members/:userId": {
    tenant: ["member.remove"],
    exercise: async (t) => {
      const { owner, workspace, base } = await ownedWorkspace();
      const member = await addMember(workspace, "member");
      return {
        res: await t.send("DELETE", `${base}/members/${member.id}`, { token: owner.token }),
        workspace,
      };
    },
  },
  "POST /v1/workspaces/:workspaceId/keys": {
    tenant: ["key.create"],
    exercise: async (t) => {
      const { owner, workspace, base } = await ownedWorkspace();
      const body = { name: "cov", scopes: ["data:read"] };
      return { res: await t.send("POST", `${base}/keys`, { token: owner.token, body }), workspace };
    },
  },
  "DELETE /v1/workspaces/:workspaceId/keys/:keyId": {
    tenant: ["key.revoke"],
    exercise: async (t) => {
      const { owner, workspace, base } = await ownedWorkspace();
      const key = await mintKey(owner.token, workspace.id);
      return { res: await t.send("DELETE", `${base}/keys/${key.id}`, { token: owner.token }), workspace };
    },
  },
  "POST /v1/workspaces/:workspaceId/keys/:keyId/rotate": {
    tenant: ["key.rotate"],
    exercise: async (t) => {
      const { owner, workspace, base } = await ownedWorkspace();
      const key = await mintKey(owner.token, workspace.id);
      return {
        res: await t.send("POST", `${base}/keys/${key.id}/rotate`, {
          token: owner.token,
          body: { graceSeconds: 0 },
        }),
        workspace,
      };
    },
  },
  "PUT /v1/operator/workspaces/:workspaceId/plan": {
    tenant: ["workspace.plan_change"],
    platform: ["workspace.plan_change", "operator.request"],
    exercise: async (t) => {
      const { workspace } = await ownedWorkspace();
      const operator = await makeOperator();
      const res = await callWith(operator.vars, "PUT", `/v1/operator/workspaces/${workspace.id}/plan`, {
        authorization: `Operator ${operator.token}`,
        body: { plan: "pro", reason: "Coverage: billing moved this workspace to pro" },
        ip: t.ip,
      });
      return { res, workspace };
    },
  },
  "POST /v1/operator/workspaces/:workspaceId/rows/read": {
    tenant: ["operator.data_access"],
    platform: ["operator.data_access", "operator.request"],
    exercise: async (t) => {
      const { workspace } = await ownedWorkspace();
      await (await tenantDb(testConfig(), workspace)).execute("CREATE TABLE orders (id INTEGER PRIMARY KEY)");
      const operator = await makeOperator();
      const res = await callWith(operator.vars, "POST", `/v1/operator/workspaces/${workspace.id}/rows/read`, {
        authorization: `Operator ${operator.token}`,
        body: { table: "orders", reason: "Coverage: verifying break-glass is audited" },
        ip: t.ip,
      });
      return { res, workspace };
    },
  },
  "POST /v1/operator/tenants/gc": {
    platform: ["operator.request"],
    exercise: async (t) => {
      const { workspace } = await ownedWorkspace();
      const operator = await makeOperator();
      const res = await callWith(operator.vars, "POST", "/v1/operator/tenants/gc", {
        authorization: `Operator ${operator.token}`,
        body: { dryRun: true },
        ip: t.ip,
      });
      return { res, workspace };
    },
  },
  "POST /v1/operator/tenants/:workspaceId/backups": {
    platform: ["operator.request"],
    exercise: async (t) => {
      const { workspace } = await ownedWorkspace();
      const operator = await makeOperator();
      const res = await callWith(operator.vars, "POST", `/v1/operator/tenants/${workspace.id}/backups`, {
        authorization: `Operator ${operator.token}`,
        ip: t.ip,
      });
      return { res, workspace };
    },
  },
  "POST /v1/operator/tenants/:workspaceId/restore": {
    tenant: ["workspace.restore"],
    platform: ["workspace.restore", "operator.request"],
    exercise: async (t) => {
      const { workspace } = await ownedWorkspace();
      const operator = await makeOperator();
      const auth = `Operator ${operator.token}`;
      const taken = await callWith(operator.vars, "POST", `/v1/operator/tenants/${workspace.id}/backups`, {
        authorization: auth,
      });
      const { backup } = (await taken.json()) as { backup: { id: string } };
      const res = await callWith(operator.vars, "POST", `/v1/operator/tenants/${workspace.id}/restore`, {
        authorization: auth,
        body: { backupId: backup.id, reason: "Coverage: restores are audited" },
        ip: t.ip,
      });
      // A string: the row is read after the restore, which swapped its database.
      return { res, workspace: workspace.id };
    },
  },
};
