import type { OpenAPIHono } from "@hono/zod-openapi";
import { Hono } from "hono";
import swaggerCss from "swagger-ui-dist/swagger-ui.css";
import swaggerBundle from "swagger-ui-dist/swagger-ui-bundle.js";
import type { AppEnv } from "../../http/env";
import { SECURITY_SCHEMES } from "../../http/openapi";

type DocumentSource = Pick<OpenAPIHono<AppEnv>, "getOpenAPI31Document" | "openAPIRegistry">;

/**
 * The document's tags in the order a newcomer reaches for them (issue 30): sign in, shape data,
 * read and write it, hand a key to code, then the rest; the operator's break-glass tools last.
 * Swagger UI and generated references list groups in this order.
 */
export const TAGS = [
  { name: "Auth", description: "Sign up, sign in, sessions, email verification and passwords" },
  { name: "Tables", description: "Typed tables with formulas and indexes, in the workspace's own database" },
  { name: "Rows", description: "Insert, filter, page, update and delete rows" },
  { name: "Keys", description: "API keys for code and agents: scopes, table allowlists, caps, rotation" },
  { name: "Workspaces", description: "Workspaces (one database each), export and import" },
  { name: "Functions", description: "Sandboxed JavaScript (`function main(args, env)`) run on demand" },
  { name: "SQL", description: "One admin SQL statement at a time, guarded and audited" },
  { name: "Realtime", description: "Row events over WebSocket" },
  { name: "Webhooks", description: "Signed row and key events delivered to your endpoints" },
  { name: "Secrets", description: "Encrypted values functions bind by name" },
  { name: "API accounts", description: "Upstream credentials islet injects, never revealed" },
  { name: "Members", description: "People in a workspace, roles and invitations" },
  { name: "Issuers", description: "Bring your own auth: end-user tokens from your issuer" },
  { name: "Audit", description: "The workspace's hash-chained audit log" },
  { name: "Usage", description: "Requests this month, per workspace and key" },
  { name: "Account", description: "Your account: export, deletion and its certificate" },
  { name: "Health", description: "Liveness" },
  { name: "Security", description: "Security policy and contacts" },
  { name: "Development", description: "Local development only" },
  { name: "Operator", description: "islet operators only (operator token)" },
] as const;

/** islet's OpenAPI 3.1 document, generated from the routes' own schemas. */
export function openApiDocument(app: DocumentSource) {
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) {
    app.openAPIRegistry.registerComponent("securitySchemes", name, scheme);
  }
  return app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "islet API",
      version: "1",
      description:
        "Every workspace gets its own libSQL database. Errors are one envelope: `{ error: { code, message, requestId, details? } }`.",
    },
    // Relative: the deployment serving the document (its PUBLIC_URL), so "try it" in /docs stays
    // same-origin under the CSP's connect-src 'self', and client/openapi.json is the same everywhere.
    servers: [{ url: "/", description: "This islet deployment" }],
    tags: [...TAGS],
  });
}

/** `/openapi.json` and `/docs`, the interactive reference (Swagger UI, served by islet itself). */
export function docsRoutes(app: DocumentSource) {
  let document: unknown;
  const build = () => {
    document ??= openApiDocument(app);
    return document;
  };
  const asset = (body: string, type: string) => () =>
    new Response(body, {
      headers: { "Content-Type": type, "Cache-Control": "public, max-age=86400" },
    });

  return new Hono<AppEnv>()
    .get("/openapi.json", (c) => c.json(build() as object))
    .get("/docs", (c) => {
      const nonce = c.get("secureHeadersNonce") ?? "";
      // The page carries this response's nonce: never cached, never shared.
      c.header("Cache-Control", "no-store");
      return c.html(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>islet API reference</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js" nonce="${nonce}"></script>
<script src="/docs/assets/init.js" nonce="${nonce}"></script>
</body>
</html>`);
    })
    .get("/docs/assets/swagger-ui-bundle.js", asset(swaggerBundle, "text/javascript; charset=utf-8"))
    .get("/docs/assets/swagger-ui.css", asset(swaggerCss, "text/css; charset=utf-8"))
    .get(
      "/docs/assets/init.js",
      // A file, not an inline script: the CSP allows no inline code without a nonce.
      asset(
        `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });\n`,
        "text/javascript; charset=utf-8",
      ),
    );
}
