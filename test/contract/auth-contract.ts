// The shared auth contract (STYLE.md: "every protected route runs the same auth matrix"). Any
// engineer adds a route with one call:
//
//   authContract(
//     { route: "DELETE /v1/workspaces/:workspaceId/keys/:keyId", role: "admin", scope: "keys:manage" },
//     async (fx) => ({ params: { keyId: (await fx.key({ scopes: ["data:read"] })).id } }),
//   );
//
// It generates one test per case: no credential, malformed credentials, forged and expired
// tokens, expired / revoked / rotated-out keys, a revoked session, another workspace's key, a
// non-member, a missing scope, a table outside the allowlist, the role just below the one
// needed, a key on a users-only route, an end-user token where end users may not go — each
// asserting status AND code — and finally that the least-privileged allowed user, key and (where
// they may) end user succeed, so the matrix can never pass vacuously. The success cases run last:
// they may consume the resource.

import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { Role, WorkspaceRow } from "../../src/db/control/schema";
import { roleAtLeast, type Scope } from "../../src/lib/scopes";
import { END_USER_SCOPES } from "../../src/services/core/access";
import { revokeCredential } from "../../src/services/gatekeeper";
import { call, errorCode, makeUser, makeWorkspace, type TestUser } from "../helpers";
import {
  addMember,
  endUserToken,
  expiredAccessToken,
  expireKey,
  forgedAccessToken,
  type MintedKey,
  mintKey,
  testIp,
} from "../workspaces/fixtures";

export interface ContractRoute {
  /** `"<METHOD> <path>"`; `:workspaceId` is the fixture's workspace, other `:params` come from setup. */
  route: string;
  /** Least workspace role a signed-in user needs. */
  role: Role;
  /** Scope an API key needs; omit for users-only routes. */
  scope?: Scope;
  /** No API key or end-user token may call it, whatever its scopes (members, plan, ownership). */
  usersOnly?: boolean;
  /**
   * Whether a workspace's end users may call it. Default: when no user-only rule, scope or role
   * above member keeps them out. `false` for routes closed to end users whatever their scopes.
   */
  endUsers?: false;
  /** The table the route touches, for the table-allowlist case. */
  table?: string;
  /** Scopes of the key used for the success case (default: just `scope`). */
  keyScopes?: Scope[];
  /** JSON body sent with every call (setup may override per call). */
  body?: unknown;
  /** Expected status of an allowed call (default: any 2xx). */
  ok?: number;
}

/** What setup can use: the route's workspace, one user per role, and helpers to mint keys. */
export interface ContractFixture {
  workspace: WorkspaceRow;
  users: Record<Role, TestUser>;
  /** A signed-in user who is not a member of `workspace`. */
  outsider: TestUser;
  /** Another workspace (owned by someone else) and a full-scope key of it. */
  other: { workspace: WorkspaceRow; key: MintedKey };
  /** Mints a key in `workspace` as its owner. */
  key(body?: Record<string, unknown>): Promise<MintedKey>;
  /** An end-user token of an HS256 issuer registered on `workspace`. */
  endUser(role: "member" | "viewer"): Promise<string>;
}

/** Per-call values from setup: path params and an optional body. */
export interface ContractCall {
  params?: Record<string, string>;
  body?: unknown;
}

/** `caller` is the credential the call will present (undefined for the no-credential cases). */
export type ContractSetup = (
  fx: ContractFixture,
  caller?: string,
) => Promise<ContractCall | undefined> | ContractCall | undefined;

const ALL_SCOPES: Scope[] = [
  "data:read",
  "data:write",
  "schema:write",
  "functions:run",
  "functions:write",
  "secrets:write",
  "keys:manage",
  "audit:read",
];
const BELOW: Record<Role, Role | null> = { owner: "admin", admin: "member", member: "viewer", viewer: null };

async function makeFixture(): Promise<ContractFixture> {
  const owner = await makeUser();
  const workspace = await makeWorkspace(owner);
  const [admin, member, viewer, outsider, otherOwner] = await Promise.all([
    addMember(workspace, "admin"),
    addMember(workspace, "member"),
    addMember(workspace, "viewer"),
    makeUser(),
    makeUser(),
  ]);
  const otherWorkspace = await makeWorkspace(otherOwner);
  const otherKey = await mintKey(otherOwner.token, otherWorkspace.id, { scopes: ALL_SCOPES });
  const issuer = {
    secret: `contract-secret-${crypto.randomUUID()}`,
    issuer: "https://auth.app.test",
    audience: "app",
  };
  const registered = await call("POST", `/v1/workspaces/${workspace.id}/issuers`, {
    token: owner.token,
    body: { name: "app auth", kind: "hs256", defaultRole: "viewer", ...issuer },
  });
  if (registered.status !== 201) throw new Error(`issuer setup failed: ${registered.status}`);
  return {
    workspace,
    users: { owner, admin, member, viewer },
    outsider,
    other: { workspace: otherWorkspace, key: otherKey },
    key: (body = {}) => mintKey(owner.token, workspace.id, { scopes: ALL_SCOPES, ...body }),
    endUser: (role) => endUserToken({ ...issuer, claims: { role } }),
  };
}

export function authContract(spec: ContractRoute, setup?: ContractSetup): void {
  const [method, pattern] = spec.route.split(" ") as [string, string];
  let fx: ContractFixture;

  const request = async (token: string | undefined, headers: Record<string, string> = {}) => {
    const prepared = (await setup?.(fx, token)) ?? {};
    const params: Record<string, string> = { workspaceId: fx.workspace.id, ...prepared.params };
    const path = pattern.replace(/:([A-Za-z]+)/g, (_, name: string) => {
      const value = params[name];
      if (value === undefined) throw new Error(`authContract: no value for :${name} in ${spec.route}`);
      return value;
    });
    const body = "body" in prepared ? prepared.body : spec.body;
    return call(method, path, { token, body, headers: { "CF-Connecting-IP": testIp(), ...headers } });
  };
  const expectError = async (res: Response, status: number, code: string) => {
    expect({ status: res.status, code: await errorCode(res) }).toEqual({ status, code });
  };
  const scoped = spec.scope;

  describe(`auth contract: ${spec.route}`, () => {
    beforeAll(async () => {
      fx = await makeFixture();
    }, 60_000);

    it("no credential → 401 unauthorized", async () => {
      await expectError(await request(undefined), 401, "unauthorized");
    });

    it.each([
      ["a non-Bearer Authorization header", { Authorization: "Basic dXNlcjpwYXNz" }, "unauthorized"],
      ["a Bearer value that is no token", { Authorization: "Bearer not-a-token" }, "invalid_token"],
      ["a truncated API key", { Authorization: "Bearer isk_abc_def" }, "invalid_token"],
    ])("malformed credential (%s) → 401", async (_what, headers, code) => {
      await expectError(await request(undefined, headers), 401, code);
    });

    it("access token signed with another key → 401 invalid_token", async () => {
      await expectError(await request(await forgedAccessToken(fx.users.owner)), 401, "invalid_token");
    });

    it("expired access token → 401 token_expired", async () => {
      await expectError(await request(await expiredAccessToken(fx.users.owner)), 401, "token_expired");
    });

    it("revoked session (next request after revocation) → 401 credential_revoked", async () => {
      const user = await addMember(fx.workspace, spec.role);
      await revokeCredential(env, `user:${user.id}`, user.sessionId, { at: Date.now() });
      await expectError(await request(user.token), 401, "credential_revoked");
    });

    it("expired API key → 401 token_expired", async () => {
      const key = await fx.key();
      await expireKey(key.id);
      await expectError(await request(key.token), 401, "token_expired");
    });

    it("revoked API key (next request after revocation) → 401 credential_revoked", async () => {
      const key = await fx.key();
      const revoked = await call("DELETE", `/v1/workspaces/${fx.workspace.id}/keys/${key.id}`, {
        token: fx.users.owner.token,
      });
      expect(revoked.status).toBe(200);
      await expectError(await request(key.token), 401, "credential_revoked");
    });

    it("rotated-out API key → 401 credential_revoked", async () => {
      const key = await fx.key();
      const rotated = await call("POST", `/v1/workspaces/${fx.workspace.id}/keys/${key.id}/rotate`, {
        token: fx.users.owner.token,
        body: { graceSeconds: 0 },
      });
      expect(rotated.status).toBe(201);
      await expectError(await request(key.token), 401, "credential_revoked");
    });

    it("another workspace's key → 403 forbidden", async () => {
      await expectError(await request(fx.other.key.token), 403, "forbidden");
    });

    it("a signed-in non-member → 404 not_found (existence not revealed)", async () => {
      await expectError(await request(fx.outsider.token), 404, "not_found");
    });

    const below = BELOW[spec.role];
    if (below) {
      it(`${below} where ${spec.role} is needed → 403 forbidden`, async () => {
        await expectError(await request(fx.users[below].token), 403, "forbidden");
      });
    }

    if (spec.usersOnly || !scoped) {
      it("any API key, even with every scope → 403 forbidden (users only)", async () => {
        await expectError(await request((await fx.key()).token), 403, "forbidden");
      });
    } else {
      it(`key without ${scoped} → 403 insufficient_scope`, async () => {
        const others = ALL_SCOPES.filter((s) => s !== scoped);
        await expectError(await request((await fx.key({ scopes: others })).token), 403, "insufficient_scope");
      });
    }

    if (spec.table && scoped) {
      it(`key whose table allowlist excludes ${spec.table} → 403 forbidden`, async () => {
        const key = await fx.key({ scopes: ALL_SCOPES, tables: ["some_other_table"] });
        await expectError(await request(key.token), 403, "forbidden");
      });
    }

    const endUserMayCall =
      !spec.usersOnly &&
      spec.endUsers !== false &&
      !!scoped &&
      END_USER_SCOPES.includes(scoped) &&
      !roleAtLeast(spec.role, "admin");
    if (!endUserMayCall) {
      it("end-user token of this workspace → 403 forbidden", async () => {
        await expectError(await request(await fx.endUser("member")), 403, "forbidden");
      });
    }

    const succeeded = (res: Response) =>
      spec.ok ? res.status === spec.ok : res.status >= 200 && res.status < 300;

    it(`${spec.role} (the least role allowed) succeeds`, async () => {
      const res = await request(fx.users[spec.role].token);
      expect(succeeded(res), `status ${res.status}: ${await res.clone().text()}`).toBe(true);
    });

    if (endUserMayCall) {
      it("an end-user token of this workspace (member role) succeeds", async () => {
        const res = await request(await fx.endUser("member"));
        expect(succeeded(res), `status ${res.status}: ${await res.clone().text()}`).toBe(true);
      });
    }

    if (scoped && !spec.usersOnly) {
      it(`a key with ${(spec.keyScopes ?? [scoped]).join(", ")} succeeds`, async () => {
        const key = await fx.key({
          scopes: spec.keyScopes ?? [scoped],
          ...(spec.table ? { tables: [spec.table] } : {}),
        });
        const res = await request(key.token);
        expect(succeeded(res), `status ${res.status}: ${await res.clone().text()}`).toBe(true);
      });
    }
  });
}
