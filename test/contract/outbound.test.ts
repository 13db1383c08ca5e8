// The auth contract over what reaches outside islet: webhook endpoints and API accounts. Both are
// admin-managed credentials; calling an account is for members and their keys, never end users.
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { controlDb } from "../../src/db/control/client";
import { workspaces } from "../../src/db/control/schema";
import { call, json, testConfig } from "../helpers";
import { authContract, type ContractFixture } from "./auth-contract";

const ws = "/v1/workspaces/:workspaceId";
const receiver = () => `${env.TEST_OUTBOUND_FIXTURE_URL}/hooks/contract`;

const roomy = new WeakMap<ContractFixture, Promise<unknown>>();

/**
 * The matrix makes one endpoint or account per case, more than the free plan's caps allow (the
 * caps have their own tests, test/hardening/caps.test.ts): the fixture's workspace is moved to
 * Business first, as an operator would.
 */
function withRoom(fx: ContractFixture): Promise<unknown> {
  let moved = roomy.get(fx);
  if (!moved) {
    moved = controlDb(testConfig())
      .update(workspaces)
      .set({ plan: "business" })
      .where(eq(workspaces.id, fx.workspace.id));
    roomy.set(fx, moved);
  }
  return moved;
}

/** A webhook endpoint registered by the fixture's owner. */
async function webhook(fx: ContractFixture): Promise<{ params: { webhookId: string } }> {
  await withRoom(fx);
  const res = await call("POST", `/v1/workspaces/${fx.workspace.id}/webhooks`, {
    token: fx.users.owner.token,
    body: { url: receiver(), events: ["webhook.test"] },
  });
  if (res.status !== 201) throw new Error(`webhook setup failed: ${res.status}`);
  return { params: { webhookId: (await json<{ webhook: { id: string } }>(res)).webhook.id } };
}

const accounts = new WeakMap<ContractFixture, Promise<void>>();

/** The fixture's API account `upstream`, put once by its owner. */
function account(fx: ContractFixture): Promise<{ params: { name: string } }> {
  let ready = accounts.get(fx);
  if (!ready) {
    ready = (async () => {
      const res = await call("PUT", `/v1/workspaces/${fx.workspace.id}/accounts/upstream`, {
        token: fx.users.owner.token,
        body: {
          baseUrl: `${env.TEST_OUTBOUND_FIXTURE_URL}/api`,
          authHeaderName: "X-Api-Key",
          authHeaderValue: "sk-contract-0123456789",
        },
      });
      if (res.status !== 200) throw new Error(`account setup failed: ${res.status}`);
    })();
    accounts.set(fx, ready);
  }
  return ready.then(() => ({ params: { name: "upstream" } }));
}

// Webhooks: admins, or keys with secrets:write.
const manage = { role: "admin", scope: "secrets:write" } as const;
authContract({ route: `GET ${ws}/webhooks`, ...manage });
authContract({ route: `POST ${ws}/webhooks`, ...manage, ok: 201 }, () => ({
  body: { url: receiver(), events: ["webhook.test"] },
}));
authContract({ route: `GET ${ws}/webhooks/:webhookId`, ...manage }, webhook);
authContract({ route: `PATCH ${ws}/webhooks/:webhookId`, ...manage }, async (fx) => ({
  ...(await webhook(fx)),
  body: { description: "changed" },
}));
authContract({ route: `DELETE ${ws}/webhooks/:webhookId`, ...manage, ok: 204 }, webhook);
authContract({ route: `POST ${ws}/webhooks/:webhookId/rotate-secret`, ...manage }, webhook);
authContract({ route: `POST ${ws}/webhooks/:webhookId/test`, ...manage, ok: 202 }, webhook);
authContract({ route: `GET ${ws}/webhooks/:webhookId/deliveries`, ...manage }, webhook);

// API accounts: managed by admins (keys with secrets:write), called by members and keys with
// functions:run — never by a workspace's end users, whose member role and scopes would pass.
authContract({ route: `GET ${ws}/accounts`, role: "member", scope: "functions:run", endUsers: false });
authContract({ route: `PUT ${ws}/accounts/:name`, ...manage }, () => ({
  params: { name: "replaced" },
  body: {
    baseUrl: `${env.TEST_OUTBOUND_FIXTURE_URL}/api`,
    authHeaderName: "X-Key",
    authHeaderValue: "v-123456",
  },
}));
authContract(
  { route: `POST ${ws}/accounts/:name/fetch`, role: "member", scope: "functions:run", endUsers: false },
  async (fx) => ({ ...(await account(fx)), body: { method: "GET", path: "/contract" } }),
);
authContract({ route: `DELETE ${ws}/accounts/:name`, ...manage, ok: 204 }, async (fx) => {
  await withRoom(fx);
  const name = `gone${crypto.randomUUID().slice(0, 8)}`;
  const res = await call("PUT", `/v1/workspaces/${fx.workspace.id}/accounts/${name}`, {
    token: fx.users.owner.token,
    body: {
      baseUrl: `${env.TEST_OUTBOUND_FIXTURE_URL}/api`,
      authHeaderName: "X-Key",
      authHeaderValue: "v-123456",
    },
  });
  if (res.status !== 200) throw new Error(`account setup failed: ${res.status}`);
  return { params: { name } };
});
