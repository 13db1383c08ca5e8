// architecture §5, issue 31 item 2: realtime events carry the workspace's `position`, and a socket that
// subscribes `after` a position first gets every event it missed (that it may read), in order,
// from the hub's bounded log, or `resync` when the gap is older than the window — with no event
// lost or sent twice, across the hub's eviction. The test window is 600 events
// (REALTIME_RETENTION_EVENTS in test/global-setup.ts).
import { evictDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_UNACKED_EVENTS } from "../../src/services/hub/protocol";
import { call } from "../helpers";
import { makeTeam, mintKey, type Team } from "../workspaces/fixtures";
import { nextJson, openTestSocket, type TestSocket } from "./helpers";

const WINDOW = 600;
const hubOf = (team: Team) => env.TENANT_HUB.get(env.TENANT_HUB.idFromName(team.workspace.id));
const rowsOf = (team: Team, name: string) => `/v1/workspaces/${team.workspace.id}/tables/${name}/rows`;

async function table(team: Team, name: string) {
  const res = await call("POST", `/v1/workspaces/${team.workspace.id}/tables`, {
    token: team.owner.token,
    body: { name, columns: [{ name: "title", type: "text" }] },
  });
  expect(res.status).toBe(201);
}

async function realtime(token: string): Promise<TestSocket> {
  const { socket, res } = await openTestSocket("/v1/realtime", { token });
  if (!socket) throw new Error(`realtime refused: ${res.status} ${await res.text()}`);
  return socket;
}

async function subscribe(socket: TestSocket, tables: string[], after?: number) {
  socket.ws.send(
    JSON.stringify({ type: "subscribe", id: "s", tables, ...(after === undefined ? {} : { after }) }),
  );
  return nextJson(socket);
}

/** Inserts rows titled by `titles` in one request (one publish). */
async function insert(team: Team, name: string, titles: string[]) {
  const res = await call("POST", rowsOf(team, name), {
    token: team.owner.token,
    body: titles.length === 1 ? { title: titles[0] } : { rows: titles.map((title) => ({ title })) },
  });
  expect(res.status).toBe(201);
}

/** Waits for `count` events on a live socket: proof the hub has logged them. */
async function events(socket: TestSocket, count: number): Promise<Record<string, unknown>[]> {
  const got = [];
  for (let i = 0; i < count; i++) got.push(await nextJson(socket));
  return got;
}

/**
 * Writes `count` rows, in publishes the observer (which acknowledges) can take without falling
 * MAX_UNACKED_EVENTS behind, and waits for it to see them all.
 */
async function backlog(team: Team, observer: TestSocket, count: number) {
  for (let done = 0; done < count; done += MAX_UNACKED_EVENTS) {
    const chunk = Math.min(MAX_UNACKED_EVENTS, count - done);
    await insert(team, "todos", titles(done, chunk));
    const seen = await events(observer, chunk);
    observer.ws.send(JSON.stringify({ type: "ack", seq: seen.at(-1)?.seq }));
  }
}

/** Every frame sent so far has arrived: the hub answers frames in order. */
async function drained(socket: TestSocket) {
  socket.ws.send(JSON.stringify({ type: "ping", id: "drain" }));
  expect(await nextJson(socket)).toEqual({ type: "pong", id: "drain" });
}

const titles = (from: number, count: number) => Array.from({ length: count }, (_, i) => `t${from + i}`);

describe("realtime resume", () => {
  it("gives a socket that resumes after the hub's eviction exactly the events it missed, then live ones", async () => {
    const team = await makeTeam();
    await table(team, "todos");
    const key = await mintKey(team.owner.token, team.workspace.id, { scopes: ["data:read"] });
    const observer = await realtime(key.token);
    expect(await subscribe(observer, ["todos"])).toEqual({
      type: "subscribed",
      id: "s",
      tables: ["todos"],
      position: 0,
    });
    const client = await realtime(key.token);
    await subscribe(client, ["todos"]);

    await insert(team, "todos", ["a"]);
    const [seen] = await events(client, 1);
    expect(seen).toMatchObject({ type: "row.created", row: { title: "a" }, position: 1, seq: 1 });
    await events(observer, 1);
    client.ws.close(1000); // the client drops; it has handled position 1

    await insert(team, "todos", ["b"]);
    await events(observer, 1);
    await evictDurableObject(hubOf(team));
    await insert(team, "todos", ["c"]);
    // The sequence went on where it was: it lives in the hub's storage, not its memory.
    expect(await events(observer, 1)).toMatchObject([{ row: { title: "c" }, position: 3 }]);
    await evictDurableObject(hubOf(team));

    const resumed = await realtime(key.token);
    expect(await subscribe(resumed, ["todos"], 1)).toEqual({
      type: "subscribed",
      id: "s",
      tables: ["todos"],
      position: 3,
    });
    expect(await events(resumed, 2)).toMatchObject([
      { type: "row.created", table: "todos", row: { title: "b" }, position: 2, seq: 1 },
      { type: "row.created", table: "todos", row: { title: "c" }, position: 3, seq: 2 },
    ]);
    await drained(resumed);
    await insert(team, "todos", ["d"]);
    expect(await events(resumed, 1)).toMatchObject([{ row: { title: "d" }, position: 4, seq: 3 }]);
    await drained(resumed);
    // subscribed, b, c, pong, d, pong: nothing twice, nothing else.
    expect(resumed.frames).toHaveLength(6);
    for (const socket of [observer, resumed]) socket.ws.close(1000);
  });

  it("holds live events behind a replay paused by the ack window, then sends them in order", async () => {
    const team = await makeTeam();
    await table(team, "todos");
    const key = await mintKey(team.owner.token, team.workspace.id, { scopes: ["data:read"] });
    const observer = await realtime(key.token);
    await subscribe(observer, ["todos"]);
    const logged = MAX_UNACKED_EVENTS + 50;
    await backlog(team, observer, logged);

    const resumed = await realtime(key.token);
    expect(await subscribe(resumed, ["todos"], 0)).toMatchObject({ type: "subscribed", position: logged });
    const first = await events(resumed, MAX_UNACKED_EVENTS);
    expect(first.map((e) => e.position)).toEqual(titles(1, MAX_UNACKED_EVENTS).map((_, i) => i + 1));
    // Paused: a write now is logged, not sent ahead of the rest of the replay.
    await insert(team, "todos", ["live"]);
    await events(observer, 1);
    await drained(resumed);
    expect(resumed.frames).toHaveLength(1 + MAX_UNACKED_EVENTS + 1);

    resumed.ws.send(JSON.stringify({ type: "ack", seq: MAX_UNACKED_EVENTS }));
    const rest = await events(resumed, 51);
    expect(rest.map((e) => e.position)).toEqual(
      Array.from({ length: 51 }, (_, i) => MAX_UNACKED_EVENTS + 1 + i),
    );
    expect(rest.at(-1)).toMatchObject({ row: { title: "live" }, seq: logged + 1 });
    // Caught up: the next write is live.
    await insert(team, "todos", ["after"]);
    expect(await events(resumed, 1)).toMatchObject([{ row: { title: "after" }, position: logged + 2 }]);
    await drained(resumed);
    for (const socket of [observer, resumed]) socket.ws.close(1000);
  });

  it("answers a resume older than the window with resync, then delivers live events", async () => {
    const team = await makeTeam();
    await table(team, "todos");
    const key = await mintKey(team.owner.token, team.workspace.id, { scopes: ["data:read"] });
    const observer = await realtime(key.token);
    await subscribe(observer, ["todos"]);
    await insert(team, "todos", ["first"]);
    await events(observer, 1);
    observer.ws.send(JSON.stringify({ type: "ack", seq: 1 }));
    await backlog(team, observer, WINDOW);

    // Position 1 fell out of the window: a client that had only position 0 cannot be caught up.
    const stale = await realtime(key.token);
    expect(await subscribe(stale, ["todos"], 0)).toMatchObject({ type: "subscribed", position: WINDOW + 1 });
    expect(await nextJson(stale)).toEqual({ type: "resync", id: "s", after: 0, position: WINDOW + 1 });
    await insert(team, "todos", ["next"]);
    expect(await nextJson(stale)).toMatchObject({ row: { title: "next" }, position: WINDOW + 2, seq: 1 });
    // A position the workspace never reached is not one to resume from either.
    const future = await realtime(key.token);
    await subscribe(future, ["todos"], 10_000);
    expect(await nextJson(future)).toMatchObject({ type: "resync", after: 10_000, position: WINDOW + 2 });
    // One still inside the window replays.
    const recent = await realtime(key.token);
    await subscribe(recent, ["todos"], WINDOW);
    expect(await events(recent, 2)).toMatchObject([{ position: WINDOW + 1 }, { position: WINDOW + 2 }]);
    await drained(recent);
    for (const socket of [observer, stale, future, recent]) socket.ws.close(1000);
  });

  it("replays nothing of a table the socket may not read, nor of another workspace", async () => {
    const [team, stranger] = await Promise.all([makeTeam(), makeTeam()]);
    await Promise.all([table(team, "todos"), table(team, "secret"), table(stranger, "todos")]);
    const everything = await realtime(
      (await mintKey(team.owner.token, team.workspace.id, { scopes: ["data:read"] })).token,
    );
    await subscribe(everything, ["todos", "secret"]);
    await insert(stranger, "todos", ["theirs"]);
    await insert(team, "secret", ["hidden"]);
    await insert(team, "todos", ["mine"]);
    await insert(team, "secret", ["hidden too"]);
    await events(everything, 3);

    const narrow = await mintKey(team.owner.token, team.workspace.id, {
      scopes: ["data:read"],
      tables: ["todos"],
    });
    const socket = await realtime(narrow.token);
    expect(await subscribe(socket, ["todos", "secret"], 0)).toMatchObject({
      type: "error",
      id: "s",
      error: { code: "forbidden" },
    });
    expect(await subscribe(socket, ["todos"], 0)).toMatchObject({ type: "subscribed", position: 3 });
    expect(await nextJson(socket)).toMatchObject({ row: { title: "mine" }, position: 2, seq: 1 });
    await drained(socket);
    expect(socket.frames).toHaveLength(4);
    expect(socket.frames.join("")).not.toContain("hidden");
    expect(socket.frames.join("")).not.toContain("theirs");
    for (const s of [everything, socket]) s.ws.close(1000);
  });

  it("refuses a malformed or misplaced `after` with error frames and stays up", async () => {
    const team = await makeTeam();
    await table(team, "todos");
    const key = await mintKey(team.owner.token, team.workspace.id, { scopes: ["data:read"] });
    const socket = await realtime(key.token);
    for (const after of [-1, 1.5, "1", null, 2 ** 60]) {
      socket.ws.send(JSON.stringify({ type: "subscribe", id: "bad", tables: ["todos"], after }));
      expect(await nextJson(socket)).toMatchObject({
        type: "error",
        id: "bad",
        error: { code: "invalid_request" },
      });
    }
    expect(await subscribe(socket, ["todos"], 0)).toMatchObject({ type: "subscribed", position: 0 });
    // Its tables already get live events: replaying them from `after` would send some twice.
    expect(await subscribe(socket, ["todos"], 0)).toMatchObject({
      type: "error",
      error: { code: "invalid_request", requestId: expect.any(String) },
    });
    await drained(socket);
    socket.ws.close(1000);
  });
});
