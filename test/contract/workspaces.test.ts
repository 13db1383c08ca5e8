// The auth contract over every protected route of workspaces, members, keys and issuers.
import { and, eq } from "drizzle-orm";
import { controlDb } from "../../src/db/control/client";
import { issuers } from "../../src/db/control/schema";
import { call, json, makeUser, testConfig } from "../helpers";
import { addMember } from "../workspaces/fixtures";
import { authContract, type ContractFixture } from "./auth-contract";

const ws = "/v1/workspaces/:workspaceId";

authContract({ route: `GET ${ws}`, role: "viewer", scope: "data:read" });
authContract({ route: `PATCH ${ws}`, role: "admin", usersOnly: true, body: { name: "Renamed" } });
authContract({ route: `POST ${ws}/transfer`, role: "owner", usersOnly: true }, async (fx) => ({
  body: { userId: fx.users.admin.id },
}));
authContract({ route: `DELETE ${ws}`, role: "owner", usersOnly: true, ok: 204 }, (fx) => ({
  body: { confirm: fx.workspace.slug },
}));

authContract({ route: `GET ${ws}/members`, role: "viewer", usersOnly: true });
authContract({
  route: `POST ${ws}/members/invitations`,
  role: "admin",
  usersOnly: true,
  body: { email: "invitee@example.test", role: "member" },
});
authContract({ route: `GET ${ws}/members/invitations`, role: "admin", usersOnly: true });
authContract({ route: `PATCH ${ws}/members/:userId`, role: "admin", usersOnly: true }, async (fx) => ({
  params: { userId: (await addMember(fx.workspace, "viewer")).id },
  body: { role: "member" },
}));
authContract(
  { route: `DELETE ${ws}/members/:userId`, role: "admin", usersOnly: true, ok: 204 },
  async (fx) => ({
    params: { userId: (await addMember(fx.workspace, "viewer")).id },
  }),
);
authContract(
  { route: `DELETE ${ws}/members/invitations/:invitationId`, role: "admin", usersOnly: true },
  async (fx) => {
    const res = await call("POST", `/v1/workspaces/${fx.workspace.id}/members/invitations`, {
      token: fx.users.owner.token,
      body: { email: (await makeUser()).email, role: "viewer" },
    });
    return { params: { invitationId: (await json<{ invitation: { id: string } }>(res)).invitation.id } };
  },
);
authContract({ route: `POST ${ws}/members/leave`, role: "viewer", usersOnly: true, ok: 204 });

/** Live keys of a workspace have distinct names (key_name_taken): each key made here gets its own. */
let named = 0;

/**
 * The key a revoke or rotate acts on: one the calling key minted when it can (a key manages only
 * its own subtree), else one the owner minted.
 */
async function targetKey(fx: ContractFixture, caller?: string): Promise<string> {
  if (caller?.startsWith("isk_")) {
    const res = await call("POST", `/v1/workspaces/${fx.workspace.id}/keys`, {
      token: caller,
      body: { name: `child ${++named}`, scopes: ["data:read"] },
    });
    if (res.status === 201) return (await json<{ key: { id: string } }>(res)).key.id;
  }
  return (await fx.key({ scopes: ["data:read"] })).id;
}
authContract({ route: `GET ${ws}/keys`, role: "admin", scope: "keys:manage" });
authContract(
  {
    route: `POST ${ws}/keys`,
    role: "admin",
    scope: "keys:manage",
    keyScopes: ["keys:manage", "data:read"],
    ok: 201,
  },
  // Live keys of a workspace have distinct names: every call mints its own.
  async () => ({ body: { name: `contract ${++named}`, scopes: ["data:read"] } }),
);
authContract({ route: `GET ${ws}/keys/:keyId`, role: "admin", scope: "keys:manage" }, async (fx) => ({
  params: { keyId: (await fx.key({ scopes: ["data:read"] })).id },
}));
authContract(
  {
    route: `DELETE ${ws}/keys/:keyId`,
    role: "admin",
    scope: "keys:manage",
    keyScopes: ["keys:manage", "data:read"],
  },
  async (fx, caller) => ({ params: { keyId: await targetKey(fx, caller) } }),
);
authContract(
  {
    route: `POST ${ws}/keys/:keyId/rotate`,
    role: "admin",
    scope: "keys:manage",
    keyScopes: ["keys:manage", "data:read"],
    body: { graceSeconds: 0 },
    ok: 201,
  },
  async (fx, caller) => ({ params: { keyId: await targetKey(fx, caller) } }),
);

const issuerBody = (n: string) => ({
  name: "app",
  kind: "hs256",
  secret: "s".repeat(40),
  issuer: `https://issuer-${n}.app.test`,
  audience: "app",
});
authContract({ route: `POST ${ws}/issuers`, role: "admin", usersOnly: true, ok: 201 }, () => ({
  body: issuerBody(crypto.randomUUID()),
}));
authContract({ route: `GET ${ws}/issuers`, role: "admin", usersOnly: true });
authContract(
  { route: `DELETE ${ws}/issuers/:issuerId`, role: "admin", usersOnly: true, ok: 204 },
  async (fx) => {
    // The suite shares one workspace; make room under the plan's issuer cap for this case's issuer.
    await controlDb(testConfig())
      .update(issuers)
      .set({ disabledAt: Date.now() })
      .where(and(eq(issuers.workspaceId, fx.workspace.id), eq(issuers.name, "app")));
    const res = await call("POST", `/v1/workspaces/${fx.workspace.id}/issuers`, {
      token: fx.users.owner.token,
      body: issuerBody(crypto.randomUUID()),
    });
    return { params: { issuerId: (await json<{ issuer: { id: string } }>(res)).issuer.id } };
  },
);
