// The OpenAPI document is generated from the routes themselves: every mounted route is in it,
// everything in it is mounted, and its Error component lists exactly islet's error codes.
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import { ERROR_CODES } from "../../src/lib/errors";
import { PAGE_PATHS } from "../../src/ui";
import { call, errorCode, json, makeUser, makeWorkspace } from "../helpers";
import { endUserToken, makeTeam, mintKey } from "../workspaces/fixtures";

interface Operation {
  security?: unknown[];
  parameters?: { name: string; in: string }[];
  responses: Record<string, unknown>;
}

interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<
      string,
      { properties?: Record<string, { properties?: Record<string, { enum?: string[] }> }> }
    >;
    securitySchemes: Record<string, unknown>;
  };
}

/**
 * Routes a client can call: not middleware, not the document and its page, not the MCP endpoints
 * (JSON-RPC, described by MCP's own `tools/list`), not the dashboard's pages, assets and its CSP
 * report endpoint (for browsers, not API clients).
 */
const UNDOCUMENTED = new Set([
  "/mcp",
  "/mcp/ws",
  "/openapi.json",
  "/docs",
  "/docs/assets/swagger-ui-bundle.js",
  "/docs/assets/swagger-ui.css",
  "/docs/assets/init.js",
  "/assets/:file",
  "/csp-report",
  ...PAGE_PATHS.filter((p) => !p.endsWith("*")),
]);
// `/x/*` covers `/x` itself too, as Hono matches it.
const isPage = (path: string) =>
  PAGE_PATHS.some((p) => p.endsWith("/*") && (path === p.slice(0, -2) || path.startsWith(p.slice(0, -1))));

const mounted = () =>
  new Set(
    buildApp()
      .routes.filter((r) => r.method !== "ALL" && !UNDOCUMENTED.has(r.path) && !isPage(r.path))
      .map((r) => `${r.method} ${r.path.replace(/\/$/, "") || "/"}`),
  );

async function documentOf(): Promise<Document> {
  const res = await call("GET", "/openapi.json");
  expect(res.status).toBe(200);
  return json<Document>(res);
}

describe("/openapi.json", () => {
  it("is OpenAPI 3.1 with the security schemes operations name", async () => {
    const doc = await documentOf();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(
      ["accessToken", "apiKey", "csrfToken", "endUserToken", "operatorToken", "sessionCookie"].sort(),
    );
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        expect(op.security, `${method} ${path}`).toBeDefined();
        for (const requirement of op.security as Record<string, unknown>[]) {
          for (const name of Object.keys(requirement))
            expect(doc.components.securitySchemes).toHaveProperty(name);
        }
      }
    }
  });

  it("lists every mounted route, and only mounted routes", async () => {
    const doc = await documentOf();
    const documented = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of Object.keys(ops)) {
        documented.add(
          `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ":$1").replace(/\/$/, "") || "/"}`,
        );
      }
    }
    expect([...mounted()].sort()).toEqual([...documented].sort());
  });

  it("answers every error with the one Error component, whose codes are errors.ts's", async () => {
    const doc = await documentOf();
    const code = doc.components.schemas.Error?.properties?.error?.properties?.code;
    expect(code?.enum?.sort()).toEqual(Object.keys(ERROR_CODES).sort());
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) < 400) continue;
          expect(JSON.stringify(response), `${method} ${path} ${status}`).toContain(
            "#/components/schemas/Error",
          );
        }
      }
    }
  });
});

/** State-changing operations with a principal that do not take Idempotency-Key, and why (routes' comments). */
const UNKEYED = new Set([
  "post /v1/auth/password", // answers with a new session
  "delete /v1/account", // a retry cannot authenticate
  "post /v1/realtime/ticket", // a ticket is a credential
  "put /v1/workspaces/{workspaceId}/functions/secrets/{name}", // a redirect
  "post /v1/workspaces/{workspaceId}/import", // a streamed body; a repeat is refused anyway
  "post /v1/operator/workspaces/{workspaceId}/rows/read", // a read whose answer is tenant data
]);

describe("Idempotency-Key in /openapi.json", () => {
  it("is declared on every state-changing operation a principal calls, and each one reads it", async () => {
    const doc = await documentOf();
    const owner = await makeUser();
    const workspace = await makeWorkspace(owner);
    const keyed: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (!["post", "put", "patch", "delete"].includes(method)) continue;
        const declared = (op.parameters ?? []).some((p) => p.in === "header" && p.name === "idempotency-key");
        const open = op.security?.length === 0;
        const expected = !open && !UNKEYED.has(`${method} ${path}`);
        expect(declared, `${method} ${path}`).toBe(expected);
        if (declared && !path.startsWith("/v1/operator")) keyed.push(`${method} ${path}`);
      }
    }
    expect(keyed.length).toBeGreaterThan(30);
    // Wired, not only declared: a malformed key is refused before the route's own checks.
    for (const operation of keyed) {
      const [method = "", path = ""] = operation.split(" ");
      const url = path.replace("{workspaceId}", workspace.id).replace(/\{[^}]+\}/g, "x");
      const res = await call(method.toUpperCase(), url, {
        token: owner.token,
        body: {},
        headers: { "Idempotency-Key": "bad\u0001key" },
      });
      expect([operation, res.status, await errorCode(res)]).toEqual([operation, 400, "invalid_request"]);
    }
  });
});

describe("/docs", () => {
  it("renders the reference from islet's own assets under the strict CSP", async () => {
    const res = await call("GET", "/docs");
    expect(res.status).toBe(200);
    const csp = res.headers.get("Content-Security-Policy") ?? "";
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    const html = await res.text();
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toContain(`nonce="${nonce}"`);
      expect(attrs).toMatch(/src="\/docs\/assets\//);
      expect(body).toBe("");
    }
    expect(html).not.toMatch(/\son[a-z]+=|style=/i);
    for (const asset of ["swagger-ui-bundle.js", "init.js", "swagger-ui.css"]) {
      const file = await call("GET", `/docs/assets/${asset}`);
      expect(file.status).toBe(200);
      expect(file.headers.get("Content-Type")).toMatch(
        asset.endsWith(".css") ? /^text\/css/ : /^text\/javascript/,
      );
    }
  });
});

/** What each security scheme of the document presents, as its description says. */
const SCHEMES: Record<string, "user" | "apiKey" | "endUser" | "operator" | undefined> = {
  accessToken: "user",
  sessionCookie: "user",
  apiKey: "apiKey",
  endUserToken: "endUser",
  operatorToken: "operator",
};

describe("credential kinds in /openapi.json", () => {
  it("each operation refuses every kind of credential its document does not name", async () => {
    const doc = await documentOf();
    const team = await makeTeam();
    const ws = team.workspace.id;
    await call("POST", `/v1/workspaces/${ws}/tables`, {
      token: team.owner.token,
      body: { name: "todos", columns: [{ name: "title", type: "text" }] },
    });
    const issuer = {
      secret: `kinds-${crypto.randomUUID()}`,
      issuer: "https://auth.kinds.test",
      audience: "app",
    };
    const registered = await call("POST", `/v1/workspaces/${ws}/issuers`, {
      token: team.owner.token,
      body: { name: "app", kind: "hs256", ...issuer },
    });
    expect(registered.status).toBe(201);
    const scopes = ["data:read", "data:write", "schema:write", "functions:run", "functions:write"];
    const credentials = {
      user: team.owner.token,
      apiKey: (
        await mintKey(team.owner.token, ws, {
          scopes: [...scopes, "secrets:write", "keys:manage", "audit:read"],
        })
      ).token,
      endUser: await endUserToken({ ...issuer, claims: { role: "member" } }),
    };
    let refusals = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (!op.security || op.security.length === 0) continue;
        // The document's schemes read as the kinds of principal they present: this test's own
        // reading of the document, not the gate's (a wrong mapping there must fail here).
        const declared = new Set(
          op.security.flatMap((requirement) =>
            Object.keys(requirement as object).map((scheme) => SCHEMES[scheme]),
          ),
        );
        const url = path
          .replace("{workspaceId}", ws)
          .replace("{table}", "todos")
          .replace(/\{[^}]+\}/g, "x");
        for (const [kind, token] of Object.entries(credentials)) {
          if (declared.has(kind as "user" | "apiKey" | "endUser")) continue;
          const body = method === "get" ? undefined : {};
          const res = await call(method.toUpperCase(), url, { token, body });
          const where = `${kind} on ${method} ${path}`;
          if (!path.startsWith("/v1/workspaces/{workspaceId}")) {
            // Operator routes answer to their own credential before anything else, and an end-user
            // token is a credential only on its own workspace's routes.
            expect([401, 403], where).toContain(res.status);
          } else {
            expect([where, res.status, await errorCode(res)]).toEqual([where, 403, "forbidden"]);
          }
          refusals++;
        }
      }
    }
    // Every management route refuses end users, every people-only route refuses keys.
    expect(refusals).toBeGreaterThan(60);
  });
});
