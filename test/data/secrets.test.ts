// The workspace vault: one secrets API, values write-only, kinds, who set it; the old function
// secrets path answers 308 for one release.
import { describe, expect, it } from "vitest";
import { call, errorCode, json } from "../helpers";
import { makeTeam, mintKey } from "../workspaces/fixtures";

const VALUE = "sk-ai-provider-0123456789";

describe("the secrets API", () => {
  it("keeps values write-only, with kind, last four characters and who set them", async () => {
    const team = await makeTeam();
    const base = `/v1/workspaces/${team.workspace.id}/secrets`;
    const set = await call("PUT", `${base}/OPENAI_KEY`, {
      token: team.admin.token,
      body: { value: VALUE, kind: "ai_provider" },
    });
    expect(set.status).toBe(200);
    const texts = [await set.text()];
    const one = await call("GET", `${base}/OPENAI_KEY`, { token: team.admin.token });
    const list = await call("GET", base, { token: team.admin.token });
    texts.push(await one.clone().text(), await list.clone().text());
    for (const text of texts) expect(text).not.toContain(VALUE);
    expect(await json(one)).toMatchObject({
      secret: { name: "OPENAI_KEY", kind: "ai_provider", last4: "6789", setBy: team.admin.id },
    });
    expect((await json<{ secrets: unknown[] }>(list)).secrets).toHaveLength(1);
    expect((await call("DELETE", `${base}/OPENAI_KEY`, { token: team.admin.token })).status).toBe(204);
    expect(await errorCode(await call("GET", `${base}/OPENAI_KEY`, { token: team.admin.token }))).toBe(
      "not_found",
    );
  });

  it("is for admins and keys with secrets:write", async () => {
    const team = await makeTeam();
    const base = `/v1/workspaces/${team.workspace.id}/secrets`;
    const put = (token: string) => call("PUT", `${base}/X`, { token, body: { value: "v" } });
    expect(await errorCode(await put(team.member.token))).toBe("forbidden");
    const reader = await mintKey(team.owner.token, team.workspace.id, { scopes: ["data:read"] });
    expect(await errorCode(await put(reader.token))).toBe("insufficient_scope");
    const writer = await mintKey(team.owner.token, team.workspace.id, { scopes: ["secrets:write"] });
    const res = await put(writer.token);
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ secret: { kind: "env", setBy: writer.id } });
  });

  it("answers the old function secrets paths with 308 to the new ones", async () => {
    const team = await makeTeam();
    const ws = `/v1/workspaces/${team.workspace.id}`;
    const put = await call("PUT", `${ws}/functions/secrets/API_KEY`, {
      token: team.admin.token,
      body: { value: "v" },
    });
    expect(put.status).toBe(308);
    expect(put.headers.get("Location")).toBe(`${ws}/secrets/API_KEY`);
    const list = await call("GET", `${ws}/functions/secrets`, { token: team.admin.token });
    expect([list.status, list.headers.get("Location")]).toEqual([308, `${ws}/secrets`]);
  });
});
