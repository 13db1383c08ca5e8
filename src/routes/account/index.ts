import { z } from "@hono/zod-openapi";
import { clearSessionCookies } from "../../http/cookies";
import { json, jsonBody, named, operation, router, SECURITY } from "../../http/openapi";
import {
  AccountDeleted,
  CertificateCheck,
  deleteAccount,
  deleteAccountBody,
  exportAccount,
  verifyCertificate,
  verifyCertificateInput,
} from "../../services/lifecycle";

const tags = ["Account"];

/** `/v1/account`: the signed-in person's own data (architecture §10). */
export const accountRoutes = router()
  .openapi(
    operation({
      operationId: "exportAccount",
      method: "get",
      path: "/export",
      tags,
      security: SECURITY.user,
      summary: "Everything tied to this account as JSON (no secret, hash or token)",
      responses: { 200: json(z.record(z.string(), z.unknown()), "The account's data") },
    }),
    async (c) => {
      const data = await exportAccount({ ctx: c.var.ctx });
      c.header("Content-Disposition", 'attachment; filename="islet-account.json"');
      return c.json(data as Record<string, unknown>, 200);
    },
  )
  .openapi(
    operation({
      operationId: "deleteAccount",
      method: "delete",
      path: "/",
      // The account and its sessions are gone after the first: a retry cannot authenticate.
      idempotency: false,
      tags,
      security: SECURITY.user,
      summary:
        "Delete this account: its solely owned workspaces, keys and sessions; returns a signed certificate",
      description:
        "Needs `confirm` (the account's email) and `password` (accounts without one: a sign-in in the last 10 minutes). The certificate is a JWS (EdDSA) verifiable against /.well-known/jwks.json; it is emailed too.",
      request: { body: jsonBody(deleteAccountBody) },
      responses: { 200: json(named(AccountDeleted, "AccountDeleted"), "Deleted") },
      errors: [409],
    }),
    async (c) => {
      const deleted = await deleteAccount({ ctx: c.var.ctx, input: c.req.valid("json") });
      clearSessionCookies(c);
      return c.json(deleted, 200);
    },
  );

/** `/v1/certificates`: anyone may check a certificate islet signed. */
export const certificateRoutes = router().openapi(
  operation({
    operationId: "verifyDeletionCertificate",
    method: "post",
    path: "/verify",
    tags,
    security: SECURITY.none,
    summary: "Check a deletion certificate's signature and read what it states",
    request: { body: jsonBody(verifyCertificateInput) },
    responses: { 200: json(named(CertificateCheck, "CertificateCheck"), "The verdict") },
  }),
  async (c) => c.json(await verifyCertificate({ ctx: c.var.ctx, input: c.req.valid("json") }), 200),
);
