// `npm run bench -- openapi`: what describing routes with @hono/zod-openapi costs per request.
// The same routes three times, in process: islet's router() (OpenAPIHono, routes registered for
// the document, validated by src/lib/validate.ts), a stock OpenAPIHono (its own zValidator-based
// validators, islet's default hook), and the plain Hono + validate() routes used before as the
// baseline. Same schemas, same handler, same requests; rounds interleaved.

import { OpenAPIHono, z } from "@hono/zod-openapi";
import { Hono } from "hono";
import type { AppEnv } from "../src/http/env";
import { defaultHook, json, jsonBody, operation, router, SECURITY } from "../src/http/openapi";
import { workspaceParam } from "../src/http/params";
import { validate } from "../src/lib/validate";
import { listAuditQuery } from "../src/services/audit";
import { createKeyBody } from "../src/services/keys";
import { fmt, median, printTable } from "./table";

const ROUNDS = 15;
const PER_ROUND = 2000;
const ok = z.object({ ok: z.boolean() });

const describe = (app: OpenAPIHono<AppEnv>) =>
  app
    .openapi(
      operation({
        operationId: "benchCreateKey",
        method: "post",
        path: "/w/{workspaceId}/keys",
        security: SECURITY.member,
        request: { params: workspaceParam, body: jsonBody(createKeyBody) },
        responses: { 201: json(ok, "ok") },
      }),
      (c) => c.json({ ok: c.req.valid("json").scopes.length > 0 }, 201),
    )
    .openapi(
      operation({
        operationId: "benchListAudit",
        method: "get",
        path: "/w/{workspaceId}/audit",
        security: SECURITY.member,
        request: { params: workspaceParam, query: listAuditQuery },
        responses: { 200: json(ok, "ok") },
      }),
      (c) => c.json({ ok: c.req.valid("query").limit !== 0 }, 200),
    );

const described = describe(router());
const stock = describe(new OpenAPIHono<AppEnv>({ defaultHook }));

const hand = new Hono()
  .post("/w/:workspaceId/keys", validate("param", workspaceParam), validate("json", createKeyBody), (c) =>
    c.json({ ok: c.req.valid("json").scopes.length > 0 }, 201),
  )
  .get("/w/:workspaceId/audit", validate("param", workspaceParam), validate("query", listAuditQuery), (c) =>
    c.json({ ok: c.req.valid("query").limit !== 0 }, 200),
  );

const cases = {
  "POST keys (params + JSON body)": () =>
    new Request("http://bench/w/ws_01j9z3m4k5n6p7q8r9s0t1v2w3/keys", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        name: "ci",
        scopes: ["data:read", "data:write"],
        tables: ["notes"],
        perMinute: 60,
      }),
    }),
  "GET audit (params + query)": () =>
    new Request(
      "http://bench/w/ws_01j9z3m4k5n6p7q8r9s0t1v2w3/audit?action=key.*&from=1700000000000&limit=50",
    ),
};

async function round(app: { fetch: (r: Request) => Response | Promise<Response> }, make: () => Request) {
  const start = performance.now();
  for (let i = 0; i < PER_ROUND; i++) {
    const res = await app.fetch(make());
    if (res.status >= 300) throw new Error(`unexpected ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  }
  return ((performance.now() - start) * 1000) / PER_ROUND;
}

export default async function bench(): Promise<void> {
  const rows: string[][] = [];
  for (const [name, make] of Object.entries(cases)) {
    const base: number[] = [];
    const islet: number[] = [];
    const library: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      base.push(await round(hand, make));
      islet.push(await round(described, make));
      library.push(await round(stock, make));
    }
    const [b, i, l] = [median(base), median(islet), median(library)];
    rows.push([name, fmt(b), fmt(i), `${fmt(i / b)}×`, fmt(l), `${fmt(l / b)}×`]);
  }
  printTable(
    ["request", "Hono + validate µs (baseline)", "islet router µs", "ratio", "stock OpenAPIHono µs", "ratio"],
    rows,
  );
}
