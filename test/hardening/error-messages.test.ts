// Issue 30 item 8: an error says what went wrong. A schema refusal names the field and the reason
// in `message` (every issue stays in details.issues), on every transport; a statement SQLite
// cannot parse is `sql_syntax`, never "This statement writes".
import { describe, expect, it } from "vitest";
import { openTestSocket } from "../agents/helpers";
import { call, json, makeUser, makeWorkspace } from "../helpers";

interface Envelope {
  error: { code: string; message: string; requestId: string; details?: { issues?: { path: string }[] } };
}

async function owned() {
  const owner = await makeUser();
  const workspace = await makeWorkspace(owner);
  return { owner, workspace, base: `/v1/workspaces/${workspace.id}` };
}

describe("validation errors name the field", () => {
  it("puts the first issue of a body in the message, and keeps every issue in details", async () => {
    const { owner, base } = await owned();
    const res = await call("POST", `${base}/tables`, {
      token: owner.token,
      body: {
        name: "notes",
        columns: [
          { name: "title", type: "string" },
          { name: "Bad Name", type: "text" },
        ],
      },
    });
    expect(res.status).toBe(400);
    const { error } = await json<Envelope>(res);
    expect(error.code).toBe("invalid_request");
    expect(error.message).toMatch(/^Invalid request body: columns\.0\.type: .*expected one of .*"text"/);
    expect(error.message).toContain("1 more");
    expect(error.details?.issues?.map((i) => i.path)).toEqual(["columns.0.type", "columns.1.name"]);
  });

  it("names a query parameter, and a root-level problem without a field", async () => {
    const { owner, base } = await owned();
    await call("POST", `${base}/tables`, {
      token: owner.token,
      body: { name: "notes", columns: [{ name: "title", type: "text" }] },
    });
    const limit = await json<Envelope>(
      await call("GET", `${base}/tables/notes/rows?limit=5000`, { token: owner.token }),
    );
    expect(limit.error.message).toMatch(/^Invalid query parameters: limit: .*1000/);
    const notObject = await json<Envelope>(
      await call("POST", `${base}/tables`, {
        token: owner.token,
        body: "[1]",
        headers: { "Content-Type": "application/json" },
      }),
    );
    expect(notObject.error.message).toMatch(/^Invalid request body: .*expected object/);
  });

  it("names the field of a realtime frame", async () => {
    const { owner, workspace } = await owned();
    const { socket } = await openTestSocket(`/v1/realtime?workspaceId=${workspace.id}`, {
      token: owner.token,
    });
    if (!socket) throw new Error("no socket");
    socket.ws.send(JSON.stringify({ type: "subscribe", id: "s1", tables: "notes" }));
    let frame: { type?: string; error?: { message: string } } = {};
    while (frame.type !== "error") frame = JSON.parse(await socket.next());
    expect(frame.error?.message).toMatch(/^Invalid input: /);
    expect(frame.error?.message).not.toBe("Invalid input");
    socket.ws.close(1000, "done");
  });
});

describe("admin SQL errors", () => {
  async function sqlCall(statement: string, write = false) {
    const { owner, base } = await owned();
    await call("POST", `${base}/tables`, {
      token: owner.token,
      body: { name: "notes", columns: [{ name: "title", type: "text" }] },
    });
    return call("POST", `${base}/sql`, { token: owner.token, body: { sql: statement, write } });
  }

  it.each([
    ["SELEC * FROM notes", false, /SELEC/],
    ["SELECT * FRM notes", false, /syntax error/],
    ["SELECT * FROM notes WHERE", false, /incomplete input|syntax error/],
    ["INSERT INTO notes (title) VALUS ('a')", true, /syntax error/],
    ["WITH x AS (SELECT 1)", false, /WITH/],
    ["SELECT [unterminated", false, /unterminated/],
  ])("reports %j as a syntax error (400 sql_syntax)", async (statement, write, reason) => {
    const res = await sqlCall(statement, write);
    const { error } = await json<Envelope>(res);
    expect([res.status, error.code]).toEqual([400, "sql_syntax"]);
    expect(error.message).toMatch(/^SQL syntax error: /);
    expect(error.message).toMatch(reason);
  });

  it("keeps other failures what they are: a write needs write, a missing table is not syntax", async () => {
    const write = await json<Envelope>(await sqlCall("DELETE FROM notes"));
    expect(write.error).toMatchObject({ code: "forbidden", message: expect.stringContaining("write") });
    const missing = await json<Envelope>(await sqlCall("SELECT * FROM nowhere"));
    expect(missing.error).toMatchObject({
      code: "invalid_request",
      message: "SQL error: no such table: nowhere",
    });
  });
});
