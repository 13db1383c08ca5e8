// Helpers for the workspace, member, key and issuer tests: real users, real provisioned
// workspaces, keys minted through the real API, and reads of the real tenant audit log.
import { eq } from "drizzle-orm";
import { SignJWT } from "jose";
import { controlDb } from "../../src/db/control/client";
import { apiKeys, memberships, type Role, type WorkspaceRow } from "../../src/db/control/schema";
import { tenantDb } from "../../src/db/tenant/client";
import { utf8 } from "../../src/lib/encoding";
import { call, json, makeUser, makeWorkspace, type TestUser, testConfig } from "../helpers";

export interface Team {
  workspace: WorkspaceRow;
  owner: TestUser;
  admin: TestUser;
  member: TestUser;
  viewer: TestUser;
}

export async function addMember(workspace: WorkspaceRow, role: Role, user?: TestUser): Promise<TestUser> {
  const who = user ?? (await makeUser());
  await controlDb(testConfig())
    .insert(memberships)
    .values({ workspaceId: workspace.id, userId: who.id, role, createdAt: Date.now() });
  return who;
}

/** A workspace with one user per role. */
export async function makeTeam(): Promise<Team> {
  const owner = await makeUser();
  const workspace = await makeWorkspace(owner);
  const [admin, member, viewer] = await Promise.all([
    addMember(workspace, "admin"),
    addMember(workspace, "member"),
    addMember(workspace, "viewer"),
  ]);
  return { workspace, owner, admin, member, viewer };
}

/** A fresh documentation-range /64 (per-address rules key IPv6 by /64), so per-IP limits of one test never touch another. */
export const testIp = () =>
  `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:${Math.floor(Math.random() * 0xffff).toString(16)}::1`;

export interface MintedKey {
  id: string;
  token: string;
}

/** Live keys of a workspace have distinct names (key_name_taken): each minted key gets its own. */
let minted = 0;

/** Mints a key through the real API; fails the test loudly if the API refuses. */
export async function mintKey(
  creatorToken: string,
  workspaceId: string,
  body: Record<string, unknown> = {},
): Promise<MintedKey> {
  const res = await call("POST", `/v1/workspaces/${workspaceId}/keys`, {
    token: creatorToken,
    body: { name: `test key ${++minted}`, scopes: ["data:read"], ...body },
  });
  if (res.status !== 201) throw new Error(`mintKey: ${res.status} ${await res.text()}`);
  const created = await json<{ key: { id: string }; token: string }>(res);
  return { id: created.key.id, token: created.token };
}

/** Moves a key's expiry into the past (standing in for the passage of time). */
export async function expireKey(keyId: string): Promise<void> {
  await controlDb(testConfig())
    .update(apiKeys)
    .set({ expiresAt: Date.now() - 1000 })
    .where(eq(apiKeys.id, keyId));
}

export async function auditActions(
  workspace: WorkspaceRow,
): Promise<{ action: string; target_id: string | null }[]> {
  const tenant = await tenantDb(testConfig(), workspace);
  const rows = await tenant.execute("SELECT action, target_id FROM _islet_audit_log ORDER BY seq");
  return rows.rows.map((r) => ({
    action: String(r.action),
    target_id: r.target_id === null ? null : String(r.target_id),
  }));
}

/** An islet access token whose expiry has passed (signed with the real session key). */
export async function expiredAccessToken(user: TestUser): Promise<string> {
  const config = testConfig();
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sid: user.sessionId })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(user.id)
    .setIssuer(config.PUBLIC_URL)
    .setAudience("islet:api")
    .setIssuedAt(now - 3600)
    .setExpirationTime(now - 1800)
    .setJti(`jti_${now}`)
    .sign(utf8(config.SESSION_JWT_SECRET));
}

/** A well-formed access token for the user signed with a key islet does not hold. */
export async function forgedAccessToken(user: TestUser): Promise<string> {
  const config = testConfig();
  return new SignJWT({ sid: user.sessionId })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(user.id)
    .setIssuer(config.PUBLIC_URL)
    .setAudience("islet:api")
    .setIssuedAt()
    .setExpirationTime("10m")
    .setJti("jti_forged")
    .sign(utf8("not-the-platform-secret-not-the-platform-secret"));
}

/** Signs an end-user token as a workspace-registered HS256 issuer would. */
export async function endUserToken(opts: {
  secret: string;
  issuer: string;
  audience: string;
  subject?: string;
  claims?: Record<string, unknown>;
  expiresAt?: number;
}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(opts.claims ?? {})
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(opts.subject ?? "app-user-1")
    .setIssuer(opts.issuer)
    .setAudience(opts.audience)
    .setIssuedAt(now)
    .setExpirationTime(opts.expiresAt ?? now + 600)
    .sign(utf8(opts.secret));
}
