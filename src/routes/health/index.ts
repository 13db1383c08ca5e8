import { z } from "@hono/zod-openapi";
import policy from "../../../SECURITY.md";
import { ErrorEnvelope, json, operation, router, SECURITY } from "../../http/openapi";
import { securityTxt } from "../../services/disclosure";
import { checkHealth } from "../../services/health";
import { platformJwks } from "../../services/lifecycle";

const HealthReport = z
  .object({ status: z.enum(["ok", "degraded"]), controlDb: z.enum(["ok", "error"]) })
  .openapi("HealthReport");

export const healthRoutes = router().openapi(
  operation({
    operationId: "getHealth",
    method: "get",
    path: "/",
    tags: ["Health"],
    security: SECURITY.none,
    summary: "Liveness of the parts a request needs",
    responses: {
      200: json(HealthReport, "Healthy"),
      503: json(z.union([HealthReport, ErrorEnvelope]), "Degraded, or misconfigured"),
    },
  }),
  async (c) => {
    const report = await checkHealth({ ctx: c.var.ctx });
    return report.status === "ok" ? c.json(report, 200) : c.json(report, 503);
  },
);

const Jwks = z
  .object({ keys: z.array(z.record(z.string(), z.unknown())) })
  .openapi("Jwks", { description: "RFC 7517 JSON Web Key Set: the platform's public signing keys" });

/** `/.well-known/jwks.json`: the public keys deletion certificates are signed with (by `kid`). */
export const wellKnownRoutes = router().openapi(
  operation({
    operationId: "getJwks",
    method: "get",
    path: "/jwks.json",
    tags: ["Account"],
    security: SECURITY.none,
    summary: "The platform's public signing keys (deletion certificates)",
    responses: { 200: json(Jwks, "The key set") },
  }),
  async (c) => {
    c.header("Cache-Control", "public, max-age=300");
    return c.json(await platformJwks(c.get("config")), 200);
  },
);

/** `/.well-known/security.txt` (RFC 9116): where to report a vulnerability, from this deployment's config. */
wellKnownRoutes.openapi(
  operation({
    operationId: "getSecurityTxt",
    method: "get",
    path: "/security.txt",
    tags: ["Security"],
    security: SECURITY.none,
    summary: "How to report a vulnerability (RFC 9116): contacts, policy, expiry",
    responses: {
      200: { description: "security.txt", content: { "text/plain": { schema: z.string() } } },
    },
  }),
  (c) => {
    c.header("Cache-Control", "public, max-age=3600");
    return c.text(securityTxt(c.get("config")), 200);
  },
);

/** `/security`: this deployment's disclosure policy and security model (the repository's SECURITY.md). */
export const policyRoutes = router().openapi(
  operation({
    operationId: "getSecurityPolicy",
    method: "get",
    path: "/",
    tags: ["Security"],
    security: SECURITY.none,
    summary: "The security policy: how to report, what is built and which test proves it, what is not done",
    responses: {
      200: { description: "SECURITY.md", content: { "text/markdown": { schema: z.string() } } },
    },
  }),
  (c) => {
    c.header("Cache-Control", "public, max-age=3600");
    return c.body(policy, 200, { "Content-Type": "text/markdown; charset=utf-8" });
  },
);
