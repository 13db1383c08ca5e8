import { z } from "@hono/zod-openapi";
import { setOidcCookie, setSessionCookies, takeOidcCookie } from "../../http/cookies";
import { operation, router, SECURITY } from "../../http/openapi";
import {
  finishOidc,
  oidcCallbackQuery,
  oidcProviderId,
  oidcStartQuery,
  startOidc,
} from "../../services/auth";

const providerParam = z.object({ provider: oidcProviderId });
const redirect = (description: string) => ({
  description,
  headers: { Location: { schema: { type: "string" as const } } },
});

/**
 * OIDC sign-in (browser flow): start redirects to the provider and binds the attempt to this
 * browser; the callback signs in with cookies and redirects to `returnTo`. `region` chooses
 * where a new account's workspace lives (default us-east).
 */
export const oidcRoutes = router()
  .openapi(
    operation({
      operationId: "startOidcSignIn",
      method: "get",
      path: "/{provider}/start",
      tags: ["Auth"],
      security: SECURITY.none,
      summary: "Start OIDC sign-in: redirects to the provider",
      request: { params: providerParam, query: oidcStartQuery },
      responses: { 302: redirect("To the provider's authorization endpoint") },
      errors: [502],
    }),
    async (c) => {
      const { redirectUrl, state } = await startOidc({
        ctx: c.var.ctx,
        input: { provider: c.req.valid("param").provider, ...c.req.valid("query") },
      });
      setOidcCookie(c, state);
      return c.redirect(redirectUrl, 302);
    },
  )
  .openapi(
    operation({
      operationId: "finishOidcSignIn",
      method: "get",
      path: "/{provider}/callback",
      tags: ["Auth"],
      security: SECURITY.none,
      summary: "OIDC callback: signs in with cookies and redirects to returnTo",
      request: { params: providerParam, query: oidcCallbackQuery },
      responses: { 302: redirect("To returnTo, signed in") },
      errors: [502],
    }),
    async (c) => {
      const cookieState = takeOidcCookie(c);
      const { session, returnTo: target } = await finishOidc({
        ctx: c.var.ctx,
        input: { provider: c.req.valid("param").provider, ...c.req.valid("query"), cookieState },
      });
      setSessionCookies(c, session);
      return c.redirect(target, 302);
    },
  );
