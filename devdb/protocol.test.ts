// Hrana over HTTP at the wire level: endpoints, batons, v3 requests, cursors and bad input.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_OPEN_STREAMS } from "./streams.ts";
import { clientFor, hranaPost, startTestDevdb, type TestDevdb } from "./testing.ts";

let devdb: TestDevdb;

interface Pipeline {
  baton: string | null;
  base_url: string | null;
  results: {
    type: "ok" | "error";
    response?: Record<string, unknown> & { result?: Record<string, unknown> };
    error?: { message: string; code: string };
  }[];
}

async function pipeline(body: unknown, version = 3): Promise<Pipeline> {
  const res = await hranaPost(devdb, `/v${version}/pipeline`, body);
  if (res.status !== 200) throw new Error(`pipeline: ${res.status} ${res.text}`);
  return res.json() as unknown as Pipeline;
}

const exec = (sql: string, args: unknown[] = []) => ({ type: "execute", stmt: { sql, args } });

beforeAll(async () => {
  devdb = await startTestDevdb({ maxBodyBytes: 64 * 1024 });
  await clientFor(devdb.url).execute("CREATE TABLE kv (k TEXT PRIMARY KEY, v)");
});
afterAll(async () => {
  await devdb.cleanup();
});

describe("endpoints", () => {
  it("answers the version probes: v2 and v3 JSON yes, v3-protobuf no", async () => {
    expect((await fetch(`${devdb.url}/v2`)).status).toBe(200);
    expect((await fetch(`${devdb.url}/v3`)).status).toBe(200);
    expect((await fetch(`${devdb.url}/v3-protobuf`)).status).toBe(404);
    expect((await fetch(`${devdb.url}/v3-protobuf/pipeline`, { method: "POST" })).status).toBe(404);
    expect((await fetch(`${devdb.url}/v2/pipeline`)).status).toBe(405);
    expect((await fetch(`${devdb.url}/nope`)).status).toBe(404);
  });
});

describe("streams and batons", () => {
  it("keeps a transaction open across requests and closes it on request", async () => {
    const first = await pipeline({
      requests: [exec("BEGIN"), exec("INSERT INTO kv VALUES ('a', 1)"), { type: "get_autocommit" }],
    });
    expect(first.results.map((r) => r.type)).toEqual(["ok", "ok", "ok"]);
    expect(first.results[2]?.response?.is_autocommit).toBe(false);
    expect(first.baton).toEqual(expect.any(String));
    expect(first.base_url).toBeNull();

    const second = await pipeline({
      baton: first.baton,
      requests: [exec("COMMIT"), { type: "get_autocommit" }, { type: "close" }],
    });
    expect(second.results[1]?.response?.is_autocommit).toBe(true);
    expect(second.baton).toBeNull();

    // A spent baton is refused.
    const reused = await hranaPost(devdb, "/v3/pipeline", {
      baton: first.baton,
      requests: [exec("SELECT 1")],
    });
    expect(reused.status).toBe(400);
    expect(reused.json().code).toBe("BATON_INVALID");
    const forged = await hranaPost(devdb, "/v3/pipeline", { baton: "AAAA", requests: [] });
    expect(forged.status).toBe(400);
  });

  it("stores SQL texts per stream and runs them by sql_id", async () => {
    const res = await pipeline({
      requests: [
        { type: "store_sql", sql_id: 1, sql: "SELECT ? + 1 AS n" },
        { type: "execute", stmt: { sql_id: 1, args: [{ type: "integer", value: "41" }] } },
        { type: "close_sql", sql_id: 1 },
        { type: "close" },
      ],
    });
    expect(res.results[1]?.response?.result?.rows).toEqual([[{ type: "integer", value: "42" }]]);
    const unknown = await hranaPost(devdb, "/v3/pipeline", {
      requests: [{ type: "execute", stmt: { sql_id: 9 } }],
    });
    expect(unknown.status).toBe(400);
    const both = await hranaPost(devdb, "/v3/pipeline", {
      requests: [{ type: "execute", stmt: { sql: "SELECT 1", sql_id: 1 } }],
    });
    expect(both.status).toBe(400);
  });

  it("evaluates batch conditions, is_autocommit included", async () => {
    const res = await pipeline({
      requests: [
        {
          type: "batch",
          batch: {
            steps: [
              { stmt: { sql: "SELECT 1" } },
              { stmt: { sql: "SELECT nope" } },
              { condition: { type: "ok", step: 0 }, stmt: { sql: "SELECT 'ran after ok'" } },
              { condition: { type: "error", step: 1 }, stmt: { sql: "SELECT 'ran after error'" } },
              {
                condition: { type: "not", cond: { type: "is_autocommit" } },
                stmt: { sql: "SELECT 'skipped'" },
              },
              {
                condition: {
                  type: "and",
                  conds: [
                    { type: "ok", step: 0 },
                    { type: "or", conds: [{ type: "ok", step: 1 }, { type: "is_autocommit" }] },
                  ],
                },
                stmt: { sql: "SELECT 'ran after and/or'" },
              },
              {
                condition: { type: "error", step: 4 },
                stmt: { sql: "SELECT 'skipped: step 4 was skipped'" },
              },
            ],
          },
        },
        { type: "close" },
      ],
    });
    const result = res.results[0]?.response?.result as { step_results: unknown[]; step_errors: unknown[] };
    expect(result.step_results.map((r) => r !== null)).toEqual([true, false, true, true, false, true, false]);
    expect(result.step_errors.map((e) => e !== null)).toEqual([
      false,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
    expect(result.step_errors[1]).toEqual({
      message: "SQLite error: no such column: nope",
      code: "SQLITE_ERROR",
    });
  });

  it("describes statements and runs sequences", async () => {
    const res = await pipeline({
      requests: [
        { type: "describe", sql: "SELECT k, v, :x AS p FROM kv WHERE k = ?" },
        {
          type: "sequence",
          sql: "CREATE TABLE seq (a); INSERT INTO seq VALUES (1); INSERT INTO seq VALUES (2)",
        },
        exec("SELECT count(*) FROM seq"),
        { type: "close" },
      ],
    });
    expect(res.results[0]?.response?.result).toEqual({
      params: [{ name: ":x" }, { name: null }],
      cols: [
        { name: "k", decltype: "TEXT" },
        { name: "v", decltype: null },
        { name: "p", decltype: null },
      ],
      is_explain: false,
      is_readonly: true,
    });
    expect(res.results[2]?.response?.result?.rows).toEqual([[{ type: "integer", value: "2" }]]);
  });

  it("keeps v3-only requests off v2", async () => {
    const res = await hranaPost(devdb, "/v2/pipeline", { requests: [{ type: "get_autocommit" }] });
    expect(res.status).toBe(400);
    const cond = await hranaPost(devdb, "/v2/pipeline", {
      requests: [
        {
          type: "batch",
          batch: { steps: [{ condition: { type: "is_autocommit" }, stmt: { sql: "SELECT 1" } }] },
        },
      ],
    });
    expect(cond.status).toBe(400);
  });

  it("refuses conditions that point at the current or a later step", async () => {
    const res = await hranaPost(devdb, "/v3/pipeline", {
      requests: [
        {
          type: "batch",
          batch: { steps: [{ condition: { type: "ok", step: 0 }, stmt: { sql: "SELECT 1" } }] },
        },
      ],
    });
    expect(res.status).toBe(400);
  });
});

describe("cursor", () => {
  it("streams a batch as newline-delimited JSON entries", async () => {
    const res = await hranaPost(devdb, "/v3/cursor", {
      batch: {
        steps: [
          { stmt: { sql: "INSERT INTO kv VALUES ('c1', x'0102') RETURNING k" } },
          { stmt: { sql: "SELECT bad" } },
          { condition: { type: "ok", step: 0 }, stmt: { sql: "SELECT v FROM kv WHERE k = 'c1'" } },
        ],
      },
    });
    expect(res.status).toBe(200);
    const lines = res.text
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toEqual({ baton: expect.any(String), base_url: null });
    expect(lines.slice(1).map((e) => e.type)).toEqual([
      "step_begin",
      "row",
      "step_end",
      "step_error",
      "step_begin",
      "row",
      "step_end",
    ]);
    expect(lines[3]).toEqual({
      type: "step_end",
      affected_row_count: 1,
      last_insert_rowid: expect.any(String),
    });
    expect(lines[6]).toEqual({ type: "row", row: [{ type: "blob", base64: "AQI=" }] });
    await pipeline({ baton: lines[0]?.baton, requests: [{ type: "close" }] });
  });
});

describe("bad input", () => {
  it("answers garbage JSON and wrong shapes with 400 and keeps serving", async () => {
    for (const body of [
      "{not json",
      "",
      "null",
      "[]",
      '{"requests": "x"}',
      '{"requests": [{"type": "explode"}]}',
    ]) {
      const res = await hranaPost(devdb, "/v2/pipeline", body);
      expect(res.status, body).toBe(400);
      expect(res.json().error, body).toEqual(expect.any(String));
    }
    const badValues = [
      { type: "integer", value: "9223372036854775808" },
      { type: "integer", value: 12 },
      { type: "blob", base64: "!!!" },
      { type: "mystery" },
    ];
    for (const value of badValues) {
      const res = await hranaPost(devdb, "/v2/pipeline", { requests: [exec("SELECT ?", [value])] });
      expect(res.status, JSON.stringify(value)).toBe(400);
    }
    expect((await clientFor(devdb.url).execute("SELECT 1 AS ok")).rows[0]?.ok).toBe(1);
  });

  it("answers 413 for a body over the limit and keeps serving", async () => {
    const huge = JSON.stringify({ requests: [exec(`SELECT '${"x".repeat(200 * 1024)}'`)] });
    const res = await hranaPost(devdb, "/v2/pipeline", huge);
    expect(res.status).toBe(413);
    expect(res.json().code).toBe("PAYLOAD_TOO_LARGE");
    expect((await clientFor(devdb.url).execute("SELECT 2 AS ok")).rows[0]?.ok).toBe(2);
  });
});

describe("stream limit", () => {
  it("refuses new streams past the limit with 429 and serves again once streams close", async () => {
    const own = await startTestDevdb();
    const open = (body: unknown) =>
      fetch(`${own.url}/v2/pipeline`, { method: "POST", body: JSON.stringify(body) }).then(async (res) => ({
        status: res.status,
        body: (await res.json()) as { baton: string; code: string },
      }));
    const batons: string[] = [];
    for (let i = 0; i < MAX_OPEN_STREAMS; i++) batons.push((await open({ requests: [] })).body.baton);
    const refused = await open({ requests: [] });
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe("TOO_MANY_STREAMS");
    await open({ baton: batons[0], requests: [{ type: "close" }] });
    expect((await open({ requests: [{ type: "close" }] })).status).toBe(200);
    await own.cleanup();
  });
});
