// No input produces a 500 (non-negotiable 3). Every route the app serves — read from
// `buildApp().routes`, so a new route is covered by name — gets malformed and hostile bodies,
// path parameters and query strings, signed in as the owner of a workspace that has a table, a
// row and a function. Each answer must be below 500 and, when an error, the JSON envelope with a
// code from the closed list; and every answer must be one the operation declares in
// /openapi.json: its status, and a body valid against the declared schema.
import { Validator } from "@cfworker/json-schema";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import { ERROR_CODES } from "../../src/lib/errors";
import { openApiDocument } from "../../src/routes/docs";
import { call, errorCode, json, makeUser, makeWorkspace } from "../helpers";
import { testIp } from "../workspaces/fixtures";

type Body = { raw: string } | { json: unknown } | undefined;

const deep = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;

const BODIES: [string, Body][] = [
  ["no body", undefined],
  ["empty text", { raw: "" }],
  ["truncated JSON", { raw: '{"name": "x", ' }],
  ["JSON null", { raw: "null" }],
  ["a JSON array", { raw: "[]" }],
  ["a JSON string", { raw: '"x"' }],
  ["a JSON number", { raw: "123" }],
  ["an empty object", { json: {} }],
  ["a number beyond float range", { raw: '{"limit": 1e999, "timeoutMs": 1e999, "n": -1e999}' }],
  [
    "prototype pollution keys",
    { raw: '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"x": 1}}}' },
  ],
  ["5,000 levels of nesting", { raw: deep(5000) }],
  ["a 200 kB string", { json: { name: "x".repeat(200_000), code: "y".repeat(200_000) } }],
  [
    "every usual field with the wrong type",
    {
      json: {
        name: 123,
        email: [],
        password: {},
        region: 7,
        columns: "x",
        rows: 5,
        sql: 7,
        code: null,
        args: "x",
        scopes: "all",
        tables: {},
        role: "god",
        confirm: 1,
        plan: "infinite",
        addColumns: {},
        renameColumns: [{}],
        write: "yes",
        token: ["a"],
        refreshToken: 1,
        userId: {},
        value: false,
        graceSeconds: -5,
        expiresAt: "tomorrow",
      },
    },
  ],
];

// Raw (already encoded) path segments: malformed escapes, traversal, injection, NUL, huge.
const PARAMS = [
  "%ZZ",
  "%",
  "%00",
  "..%2F..%2F_islet_audit_log",
  "%27%3B%20DROP%20TABLE%20t1%3B--",
  "%F0%9F%92%A9",
  "-1",
  "1e309",
  "x".repeat(3000),
];

const QUERIES = [
  "?limit=abc&cursor=%ZZ&sort=-&fields=,,",
  "?filter[title][eq]=1&filter[nope][zz]=2&filter=3&filter[title]=4",
  "?limit=-1&cursor=eyJ4IjoxfQ&from=yesterday&to=1e999&format=xml&action=%00",
  "?a=1&a=2&a[]=3&%ZZ=%ZZ",
];

interface Fixture {
  token: string;
  params: Record<string, string>;
}

async function fixture(): Promise<Fixture> {
  const owner = await makeUser();
  const workspace = await makeWorkspace(owner);
  const base = `/v1/workspaces/${workspace.id}`;
  const table = await call("POST", `${base}/tables`, {
    token: owner.token,
    body: {
      name: "t1",
      columns: [
        { name: "title", type: "text" },
        { name: "n", type: "integer" },
      ],
    },
  });
  const row = await call("POST", `${base}/tables/t1/rows`, {
    token: owner.token,
    body: { title: "a", n: 1 },
  });
  const fn = await call("POST", `${base}/functions`, {
    token: owner.token,
    body: { name: "f1", code: "function main(args) { return args; }" },
  });
  if (table.status !== 201 || row.status !== 201 || fn.status !== 201) {
    throw new Error(`hostile-input fixture failed: ${table.status} ${row.status} ${fn.status}`);
  }
  const id = String((await json<{ rows: { id: number }[] }>(row)).rows[0]?.id);
  return {
    token: owner.token,
    params: { workspaceId: workspace.id, table: "t1", id, name: "f1", userId: owner.id },
  };
}

const knownCodes = new Set(Object.keys(ERROR_CODES));

interface Operation {
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}
const app = buildApp();
const document = openApiDocument(app) as unknown as {
  paths: Record<string, Record<string, Operation>>;
  components: object;
};
const openApiPath = (pattern: string) => pattern.replace(/:([A-Za-z]+)/g, "{$1}").replace(/(.)\/$/, "$1");

/** Whether `res` is an answer the operation declares: its status, and its JSON body's schema. */
function undeclared(method: string, pattern: string, res: Response, text: string): string | undefined {
  const operation = document.paths[openApiPath(pattern)]?.[method.toLowerCase()];
  if (!operation) return `no operation ${method} ${openApiPath(pattern)} in /openapi.json`;
  const response = operation.responses[String(res.status)];
  if (!response) return `status ${res.status} is not declared: ${text.slice(0, 200)}`;
  const json = response.content?.["application/json"];
  if (!json || !(res.headers.get("Content-Type") ?? "").startsWith("application/json")) return undefined;
  const schema = { ...json.schema, components: document.components };
  const result = new Validator(schema, "2020-12", false).validate(JSON.parse(text));
  if (!result.valid) {
    const where = result.errors.map((e) => `${e.instanceLocation} ${e.error}`).slice(0, 3);
    return `status ${res.status} body does not match its schema: ${where.join("; ")}`;
  }
  return undefined;
}

async function problem(method: string, pattern: string, res: Response): Promise<string | undefined> {
  const text = await res.text();
  if (res.status >= 500) return `status ${res.status}: ${text.slice(0, 300)}`;
  const mismatch = undeclared(method, pattern, res, text);
  if (mismatch) return mismatch;
  if (res.status < 400) return undefined;
  try {
    const body = JSON.parse(text) as { error?: { code?: string; requestId?: string } };
    if (!body.error?.code || !knownCodes.has(body.error.code) || !body.error.requestId) {
      return `status ${res.status} without a proper envelope: ${text.slice(0, 200)}`;
    }
  } catch {
    return `status ${res.status} with a non-JSON body: ${text.slice(0, 200)}`;
  }
  return undefined;
}

const routes = [
  ...new Set(
    app.routes
      .filter((r) => r.method !== "ALL" && (r.path.startsWith("/v1/") || r.path.startsWith("/health")))
      .map((r) => `${r.method} ${r.path}`),
  ),
].sort();

describe("hostile input never produces a 500", () => {
  it("finds the routes to attack", () => {
    expect(routes.length).toBeGreaterThan(50);
  });

  for (const route of routes) {
    it(route, async () => {
      const [method, pattern] = route.split(" ") as [string, string];
      const fx = await fixture();
      const path = (override?: string) =>
        pattern.replace(/:([A-Za-z]+)/g, (_, name: string) => override ?? fx.params[name] ?? "nope_123");
      const send = (url: string, body: Body, token: string | undefined = fx.token) => {
        const headers: Record<string, string> = { "CF-Connecting-IP": testIp() };
        if (body !== undefined) headers["Content-Type"] = "application/json";
        const payload = body === undefined ? undefined : "raw" in body ? body.raw : JSON.stringify(body.json);
        return call(method, url, { token, body: payload, headers });
      };
      const failures: string[] = [];
      const attempt = async (what: string, res: Promise<Response>) => {
        const found = await problem(method, pattern, await res);
        if (found) failures.push(`${what} → ${found}`);
      };
      // A GET carries no body (fetch refuses one): its attacks are the path and the query.
      const anyBody: Body = method === "GET" ? undefined : { json: {} };
      await attempt("no credential", send(path(), anyBody, undefined));
      if (method !== "GET") for (const [what, body] of BODIES) await attempt(what, send(path(), body));
      if (pattern.includes(":")) {
        for (const param of PARAMS) await attempt(`param ${param.slice(0, 40)}`, send(path(param), anyBody));
      }
      for (const query of QUERIES) await attempt(`query ${query}`, send(`${path()}${query}`, undefined));
      expect(failures).toEqual([]);
    });
  }
});

describe("query strings cannot reach a prototype", () => {
  it("refuses filter[__proto__] and filter[constructor] and leaves Object.prototype alone", async () => {
    const fx = await fixture();
    const base = `/v1/workspaces/${fx.params.workspaceId}/tables/t1/rows`;
    for (const query of [
      "?filter[__proto__][eq]=polluted",
      "?filter[__proto__][polluted]=yes",
      "?filter[constructor][keys]=1",
      "?filter[title][__proto__]=x",
      "?__proto__[polluted]=yes",
    ]) {
      const res = await call("GET", `${base}${query}`, {
        token: fx.token,
        headers: { "CF-Connecting-IP": testIp() },
      });
      expect(res.status, query).toBe(400);
      expect(await errorCode(res)).toBe("invalid_request");
    }
    expect(Object.prototype).not.toHaveProperty("eq");
    expect(Object.prototype).not.toHaveProperty("polluted");
    expect(typeof Object.keys).toBe("function");
  });
});
