import { describe, expect, it } from "vitest";
import { call } from "../helpers";
import { makeTeam, mintKey, type Team } from "../workspaces/fixtures";
import { nextJson, openTestSocket, type TestSocket } from "./helpers";

async function table(team: Team, name: string) {
  const res = await call("POST", `/v1/workspaces/${team.workspace.id}/tables`, {
    token: team.owner.token,
    body: { name, columns: [{ name: "title", type: "text", unique: true }] },
  });
  expect(res.status).toBe(201);
}

async function realtime(token: string, query = ""): Promise<TestSocket> {
  const { socket, res } = await openTestSocket(`/v1/realtime${query}`, { token });
  if (!socket) throw new Error(`realtime refused: ${res.status} ${await res.text()}`);
  return socket;
}

async function subscribe(socket: TestSocket, tables: string[]) {
  socket.ws.send(JSON.stringify({ type: "subscribe", id: "s1", tables }));
  return nextJson(socket);
}

const rowsOf = (team: Team, name: string) => `/v1/workspaces/${team.workspace.id}/tables/${name}/rows`;

describe("realtime row events", () => {
  it("delivers created, updated and deleted rows of subscribed tables, after they commit", async () => {
    const team = await makeTeam();
    await table(team, "todos");
    await table(team, "other");
    const key = await mintKey(team.owner.token, team.workspace.id, { scopes: ["data:read"] });
    const socket = await realtime(key.token);
    expect(await subscribe(socket, ["todos"])).toEqual({
      type: "subscribed",
      id: "s1",
      tables: ["todos"],
      position: 0,
    });

    const write = (method: string, path: string, body?: unknown) =>
      call(method, path, { token: team.owner.token, ...(body === undefined ? {} : { body }) });
    expect((await write("POST", rowsOf(team, "other"), { title: "ignored" })).status).toBe(201);
    const created = await write("POST", rowsOf(team, "todos"), { title: "a" });
    expect(created.status).toBe(201);
    // A write that fails (unique title) commits nothing and announces nothing.
    expect((await write("POST", rowsOf(team, "todos"), { title: "a" })).status).toBe(409);
    expect((await write("PATCH", `${rowsOf(team, "todos")}/1`, { title: "b" })).status).toBe(200);
    expect((await write("DELETE", `${rowsOf(team, "todos")}/1`)).status).toBe(204);

    const events = [await nextJson(socket), await nextJson(socket), await nextJson(socket)];
    expect(events).toMatchObject([
      { type: "row.created", table: "todos", id: 1, row: { id: 1, title: "a" } },
      { type: "row.updated", table: "todos", id: 1, row: { title: "b" } },
      { type: "row.deleted", table: "todos", id: 1 },
    ]);
    socket.ws.send(JSON.stringify({ type: "ping", id: "p" }));
    expect(await nextJson(socket)).toEqual({ type: "pong", id: "p" });
    expect(socket.frames).toHaveLength(5);
    socket.ws.close(1000);
  });

  it("sends nothing of another workspace, nor of tables outside a key's allowlist", async () => {
    const [team, stranger] = await Promise.all([makeTeam(), makeTeam()]);
    await Promise.all([table(team, "todos"), table(team, "secret"), table(stranger, "todos")]);
    const key = await mintKey(team.owner.token, team.workspace.id, {
      scopes: ["data:read"],
      tables: ["todos"],
    });
    const socket = await realtime(key.token);
    const refused = await subscribe(socket, ["secret"]);
    expect(refused).toMatchObject({ type: "error", id: "s1", error: { code: "forbidden" } });
    expect(await subscribe(socket, ["todos"])).toMatchObject({ type: "subscribed", tables: ["todos"] });
    await call("POST", rowsOf(stranger, "todos"), { token: stranger.owner.token, body: { title: "theirs" } });
    await call("POST", rowsOf(team, "secret"), { token: team.owner.token, body: { title: "hidden" } });
    await call("POST", rowsOf(team, "todos"), { token: team.owner.token, body: { title: "mine" } });
    expect(await nextJson(socket)).toMatchObject({ type: "row.created", row: { title: "mine" } });
    expect(socket.frames.join("")).not.toContain("theirs");
    expect(socket.frames.join("")).not.toContain("hidden");
    socket.ws.close(1000);
  });

  it("answers hostile frames with error frames and stays up", async () => {
    const team = await makeTeam();
    await table(team, "todos");
    const socket = await realtime(team.viewer.token, `?workspaceId=${team.workspace.id}`);
    const frames: [string | ArrayBuffer, string][] = [
      ["not json", "invalid_json"],
      ["x".repeat(1_000_000), "payload_too_large"],
      [JSON.stringify({ type: "explode" }), "invalid_request"],
      [JSON.stringify({ type: "subscribe", tables: ["_islet_audit_log"] }), "invalid_request"],
      [JSON.stringify({ type: "subscribe", tables: ["sqlite_master"] }), "invalid_request"],
      [JSON.stringify({ type: "subscribe", tables: ["missing"] }), "not_found"],
      [JSON.stringify({ type: "subscribe", tables: [], __proto__: { admin: true } }), "invalid_request"],
      [new Uint8Array([1, 2, 3]).buffer, "invalid_request"],
    ];
    for (const [frame, code] of frames) {
      socket.ws.send(frame);
      expect(await nextJson(socket)).toMatchObject({ type: "error", error: { code } });
    }
    expect(await subscribe(socket, ["todos"])).toMatchObject({ type: "subscribed" });
    socket.ws.close(1000);
  });

  it("closes a consumer that stops acknowledging with 1013, and keeps one that acknowledges", async () => {
    const team = await makeTeam();
    await table(team, "todos");
    const key = await mintKey(team.owner.token, team.workspace.id, { scopes: ["data:read"] });
    const [slow, steady] = [await realtime(key.token), await realtime(key.token)];
    await subscribe(slow, ["todos"]);
    await subscribe(steady, ["todos"]);
    const insert = (from: number, count: number) =>
      call("POST", rowsOf(team, "todos"), {
        token: team.owner.token,
        body: { rows: Array.from({ length: count }, (_, i) => ({ title: `t${from + i}` })) },
      });
    expect((await insert(0, 400)).status).toBe(201);
    for (let i = 0; i < 400; i++) await steady.next();
    steady.ws.send(JSON.stringify({ type: "ack", seq: 400 }));
    steady.ws.send(JSON.stringify({ type: "ping", id: "after-ack" }));
    expect(await nextJson(steady)).toEqual({ type: "pong", id: "after-ack" });
    expect((await insert(400, 200)).status).toBe(201);
    expect(await slow.closed).toMatchObject({ code: 1013 });
    // The slow one got exactly the bound: 500 events, then the close.
    expect(slow.frames.filter((f) => f.includes('"row.created"'))).toHaveLength(500);
    for (let i = 0; i < 200; i++)
      expect(await nextJson(steady)).toMatchObject({ type: "row.created", seq: 401 + i });
    steady.ws.close(1000);
  });

  it("admits each message through the Gatekeeper with its credential's limits", async () => {
    const team = await makeTeam();
    const key = await mintKey(team.owner.token, team.workspace.id, { scopes: ["data:read"], perMinute: 3 });
    const socket = await realtime(key.token); // the upgrade is the first request
    const answers = [];
    for (let i = 0; i < 4; i++) {
      socket.ws.send(JSON.stringify({ type: "ping" }));
      answers.push(await nextJson(socket));
    }
    expect(answers).toMatchObject([
      { type: "pong" },
      { type: "pong" },
      { type: "error", error: { code: "rate_limited" } },
      { type: "error", error: { code: "rate_limited" } },
    ]);
    socket.ws.close(1000);
  });
});
