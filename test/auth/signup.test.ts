import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/control/client";
import { memberships, sessions, users, workspaces } from "../../src/db/control/schema";
import { tenantDb } from "../../src/db/tenant/client";
import { BREACHED_PASSWORDS } from "../fixtures/pwned";
import { call, errorCode, json, testConfig } from "../helpers";
import { callWithEnv, outbox, signupUser, strongPassword, testIp, uniqueEmail } from "./helpers";

const signup = (body: Record<string, unknown>, ip = testIp()) =>
  call("POST", "/v1/auth/signup", { body, headers: { "CF-Connecting-IP": ip } });

describe("POST /v1/auth/signup", () => {
  it("creates the account, a personal workspace with its own database in the chosen region, and signs in", async () => {
    const email = uniqueEmail("Ada");
    const res = await signup({ email, password: strongPassword(), name: "Ada Lovelace", region: "ap-south" });
    expect(res.status).toBe(201);
    const body = await json<{
      user: { id: string; email: string; emailVerified: boolean; name: string };
      workspace: { id: string; slug: string; region: string };
      session: { accessToken: string; refreshToken: string; tokenType: string };
    }>(res);
    expect(body.user).toMatchObject({ email, name: "Ada Lovelace", emailVerified: false });
    expect(body.user).not.toHaveProperty("passwordHash");
    expect(body.workspace.region).toBe("ap-south");
    expect(body.workspace.slug).toMatch(/^ada-lovelace-[0-9a-z]{6}$/);
    expect(body.session.tokenType).toBe("Bearer");

    const db = controlDb(testConfig());
    const [row] = await db.select().from(users).where(eq(users.id, body.user.id));
    expect(row?.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const [member] = await db.select().from(memberships).where(eq(memberships.userId, body.user.id));
    expect(member).toMatchObject({ workspaceId: body.workspace.id, role: "owner" });

    // The workspace's own database exists and recorded the signup in its audit log.
    const [ws] = await db.select().from(workspaces).where(eq(workspaces.id, body.workspace.id));
    const tenant = await tenantDb(testConfig(), ws as NonNullable<typeof ws>);
    const audit = await tenant.execute("SELECT action, actor_id FROM _islet_audit_log");
    expect(audit.rows.map((r) => [r.action, r.actor_id])).toContainEqual(["account.signup", body.user.id]);

    // The access token works at once; the verification email went out.
    const me = await call("GET", "/v1/auth/session", { token: body.session.accessToken });
    expect(me.status).toBe(200);
    const mail = await outbox(email);
    expect(mail.map((m) => m.tag)).toEqual(["verify_email"]);
    expect(mail[0]?.text).toMatch(/token: [0-9a-f]{64}/);
  });

  it("refuses passwords shorter than 12 or longer than 256 characters with weak_password", async () => {
    for (const password of ["short-pw", "x".repeat(5) + "y".repeat(6), "a1".repeat(129)]) {
      const res = await signup({ email: uniqueEmail(), password, region: "us-east" });
      expect(res.status).toBe(400);
      expect(await errorCode(res)).toBe("weak_password");
    }
    // Length is counted in characters: 11 emoji are 22 UTF-16 units but only 11 characters.
    const res = await signup({ email: uniqueEmail(), password: "🦊".repeat(11), region: "us-east" });
    expect(await errorCode(res)).toBe("weak_password");
  });

  it("refuses a password found in the breached-password corpus with breached_password", async () => {
    const email = uniqueEmail();
    const res = await signup({ email, password: BREACHED_PASSWORDS[1], region: "us-east" });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe("breached_password");
    const [row] = await controlDb(testConfig()).select().from(users).where(eq(users.email, email));
    expect(row).toBeUndefined();
  });

  it("sends only the first five hex characters of the password's SHA-1 to the range API", async () => {
    const password = strongPassword();
    await signupUser({ password });
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", new TextEncoder().encode(password)));
    const sha1 = [...digest]
      .map((b) => b.toString(16).padStart(2, "0"))
      .join("")
      .toUpperCase();
    const seen = await (await fetch(`${env.PWNED_API_URL}/__fixture/requests`)).json<{
      requests: string[];
    }>();
    expect(seen.requests).toContain(`/range/${sha1.slice(0, 5)}`);
    expect(seen.requests.some((path) => path.includes(sha1.slice(5, 12)))).toBe(false);
    for (const path of seen.requests) expect(path).toMatch(/^(\/slow)?\/range\/[0-9A-F]{5}$/);
  });

  it("lets signup through when the range API does not answer in time", async () => {
    const res = await callWithEnv({ PWNED_API_URL: `${env.PWNED_API_URL}/slow` }, "POST", "/v1/auth/signup", {
      body: { email: uniqueEmail(), password: strongPassword(), region: "us-west" },
    });
    expect(res.status).toBe(201);
  });

  it("refuses a second account for the same email (any case) with conflict", async () => {
    const first = await signupUser();
    const res = await signup({
      email: first.email.toUpperCase(),
      password: strongPassword(),
      region: "eu-west",
    });
    expect(res.status).toBe(409);
    expect(await errorCode(res)).toBe("conflict");
  });

  it("keeps nothing when the new database cannot be migrated (compensation removes it all)", async () => {
    const email = uniqueEmail();
    // The database is created through the admin API, but its Hrana endpoint is unreachable.
    const res = await callWithEnv({ DEVDB_URL: "http://127.0.0.1:9" }, "POST", "/v1/auth/signup", {
      body: { email, password: strongPassword(), region: "eu-west" },
    });
    expect(res.status).toBe(503);
    expect(await errorCode(res)).toBe("unavailable");
    const db = controlDb(testConfig());
    expect(await db.select().from(users).where(eq(users.email, email))).toEqual([]);
    expect(await outbox(email)).toEqual([]);
    // Nothing blocks a retry once provisioning works again.
    expect((await signupUser({ email })).email).toBe(email);
  });

  it("keeps no account when the provisioner is refused outright", async () => {
    const email = uniqueEmail();
    // The provisioner presents an admin token the local libSQL server does not accept.
    const res = await callWithEnv({ DEVDB_ADMIN_TOKEN: "dev_wrong-admin-token" }, "POST", "/v1/auth/signup", {
      body: { email, password: strongPassword(), region: "eu-west" },
    });
    expect(res.status).toBe(503);
    const db = controlDb(testConfig());
    expect(await db.select().from(users).where(eq(users.email, email))).toEqual([]);
    expect(
      await db
        .select()
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .where(eq(users.email, email)),
    ).toEqual([]);
  });

  it("validates the request: email, region and unknown fields", async () => {
    for (const body of [
      { email: "not-an-email", password: strongPassword(), region: "eu-west" },
      { email: uniqueEmail(), password: strongPassword(), region: "mars-north" },
      { email: uniqueEmail(), password: strongPassword(), region: "eu-west", admin: true },
    ]) {
      const res = await signup(body);
      expect(res.status).toBe(400);
      expect(await errorCode(res)).toBe("invalid_request");
    }
  });
});
