// Issue 13 item 1: binding secrets to a function is reading them, so it needs an admin (or a key
// with secrets:write); whoever bound them must still be allowed at every invocation; and what a
// function hands back is scrubbed of the bound values.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/control/client";
import { memberships } from "../../src/db/control/schema";
import { call, errorCode, json, testConfig } from "../helpers";
import { makeTeam, mintKey } from "../workspaces/fixtures";

const SECRET = "sk-live-4f9a8b7c6d5e";

async function teamWithSecret() {
  const team = await makeTeam();
  const base = `/v1/workspaces/${team.workspace.id}`;
  const set = await call("PUT", `${base}/secrets/API_TOKEN`, {
    token: team.admin.token,
    body: { value: SECRET },
  });
  expect(set.status).toBe(200);
  return { ...team, base };
}

const dump = "function main(a, env) { return env }";

describe("function secrets: binding needs the admin role", () => {
  it("refuses a member who binds a secret, and a member who rebinds or edits a bound function", async () => {
    const { base, member, admin } = await teamWithSecret();
    const create = await call("POST", `${base}/functions`, {
      token: member.token,
      body: { name: "steal", code: dump, env: ["API_TOKEN"] },
    });
    expect([create.status, await errorCode(create)]).toEqual([403, "forbidden"]);

    // A member may still write functions without secrets…
    const plain = await call("POST", `${base}/functions`, {
      token: member.token,
      body: { name: "plain", code: "function main() { return 1 }" },
    });
    expect(plain.status).toBe(201);
    // …but not bind secrets to one afterwards,
    const rebind = await call("PATCH", `${base}/functions/plain`, {
      token: member.token,
      body: { env: ["API_TOKEN"] },
    });
    expect([rebind.status, await errorCode(rebind)]).toEqual([403, "forbidden"]);
    // …nor change the code of a function an admin bound secrets to.
    const bound = await call("POST", `${base}/functions`, {
      token: admin.token,
      body: {
        name: "bound",
        code: "function main(a, env) { return env.API_TOKEN.length }",
        env: ["API_TOKEN"],
      },
    });
    expect(bound.status).toBe(201);
    const edit = await call("PATCH", `${base}/functions/bound`, {
      token: member.token,
      body: { code: dump },
    });
    expect([edit.status, await errorCode(edit)]).toEqual([403, "forbidden"]);
    // The member may run it; it answers what its admin-written code returns.
    const run = await call("POST", `${base}/functions/bound/invoke`, { token: member.token, body: {} });
    expect(await json(run)).toMatchObject({ result: SECRET.length });
    // The timeout is not a binding: a member may change it.
    const timeout = await call("PATCH", `${base}/functions/bound`, {
      token: member.token,
      body: { timeoutMs: 200 },
    });
    expect(timeout.status).toBe(200);
  });

  it("shows env names only to those who may bind secrets", async () => {
    const { base, member, admin } = await teamWithSecret();
    await call("POST", `${base}/functions`, {
      token: admin.token,
      body: { name: "f", code: "function main() { return 1 }", env: ["API_TOKEN"] },
    });
    const asMember = await json<{ functions: Record<string, unknown>[] }>(
      await call("GET", `${base}/functions`, { token: member.token }),
    );
    expect(asMember.functions[0]).not.toHaveProperty("env");
    const asAdmin = await json<{ functions: Record<string, unknown>[] }>(
      await call("GET", `${base}/functions`, { token: admin.token }),
    );
    expect(asAdmin.functions[0]).toMatchObject({ env: ["API_TOKEN"] });
  });

  it("lets a key bind only with secrets:write, and stops the binding when its binder is demoted", async () => {
    const { base, owner, admin, workspace } = await teamWithSecret();
    const runner = await mintKey(owner.token, workspace.id, { scopes: ["functions:write", "functions:run"] });
    const refused = await call("POST", `${base}/functions`, {
      token: runner.token,
      body: { name: "k", code: dump, env: ["API_TOKEN"] },
    });
    expect([refused.status, await errorCode(refused)]).toEqual([403, "insufficient_scope"]);

    await call("POST", `${base}/functions`, {
      token: admin.token,
      body: {
        name: "len",
        code: "function main(a, env) { return env.API_TOKEN.length }",
        env: ["API_TOKEN"],
      },
    });
    expect(
      (await call("POST", `${base}/functions/len/invoke`, { token: owner.token, body: {} })).status,
    ).toBe(200);
    await controlDb(testConfig())
      .update(memberships)
      .set({ role: "member" })
      .where(eq(memberships.userId, admin.id));
    const after = await call("POST", `${base}/functions/len/invoke`, { token: owner.token, body: {} });
    expect([after.status, await errorCode(after)]).toEqual([403, "forbidden"]);
    // An admin binding them again restores it.
    await call("PATCH", `${base}/functions/len`, { token: owner.token, body: { env: ["API_TOKEN"] } });
    expect(
      (await call("POST", `${base}/functions/len/invoke`, { token: owner.token, body: {} })).status,
    ).toBe(200);
  });
});

describe("function secrets: output is scrubbed", () => {
  it("also in the JSON-escaped form a multi-line secret takes when logged inside an object", async () => {
    const { base, admin } = await teamWithSecret();
    const pem = '-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n"quoted"\\tail-----END KEY-----';
    await call("PUT", `${base}/secrets/PEM`, { token: admin.token, body: { value: pem } });
    await call("POST", `${base}/functions`, {
      token: admin.token,
      body: {
        name: "dump",
        code: "function main(a, env) { console.log({ cfg: env }); return JSON.stringify(env); }",
        env: ["PEM"],
      },
    });
    const res = await call("POST", `${base}/functions/dump/invoke`, { token: admin.token, body: {} });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC");
    expect(text).not.toContain("quoted");
  });

  it("removes bound values from results, logs and errors, also base64 and hex forms", async () => {
    const { base, admin } = await teamWithSecret();
    const code = `function main(a, env) {
      const s = env.API_TOKEN;
      const hex = Array.from(s, (c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
      console.log("token is " + s);
      if (a.fail) throw new Error("bad " + s);
      return { env, plain: "x" + s + "y", hex, b64: a.b64, [s]: 1 };
    }`;
    await call("POST", `${base}/functions`, {
      token: admin.token,
      body: { name: "leak", code, env: ["API_TOKEN"] },
    });
    // btoa is not in the sandbox: the caller hands the base64 of the secret back in as an argument.
    const b64 = btoa(`ab${SECRET}`);
    const ok = await call("POST", `${base}/functions/leak/invoke`, {
      token: admin.token,
      body: { args: { b64 } },
    });
    expect(ok.status).toBe(200);
    const okText = await ok.text();
    const hex = Array.from(SECRET, (c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
    for (const form of [SECRET, hex, btoa(SECRET).replace(/=+$/, "")]) expect(okText).not.toContain(form);
    expect(JSON.parse(okText)).toMatchObject({
      result: { env: { API_TOKEN: "[redacted]" }, plain: "x[redacted]y", hex: "[redacted]" },
      logs: ["token is [redacted]"],
    });
    // b64 of "ab"+secret: the chars fully made of secret bytes are gone.
    expect(JSON.parse(okText).result.b64).toContain("[redacted]");

    const failed = await call("POST", `${base}/functions/leak/invoke`, {
      token: admin.token,
      body: { args: { fail: true } },
    });
    expect(failed.status).toBe(422);
    const failedText = await failed.text();
    expect(failedText).not.toContain(SECRET);
    expect(failedText).toContain("[redacted]");
  });
});
