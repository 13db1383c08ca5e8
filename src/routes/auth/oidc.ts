import { Hono } from "hono";
import { z } from "zod";
import { REGIONS } from "../../lib/tenancy";
import { validate } from "../../lib/validate";
import { finishOidc, startOidc } from "../../services/auth";
import type { AppEnv } from "../../types";
import { setOidcCookie, setSessionCookies, takeOidcCookie } from "./cookies";

const providerParam = z.object({ provider: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/) });
/** Same-site paths only (`/…`, not `//host` or `/\host`): no open redirect after sign-in. */
const returnTo = z
  .string()
  .max(512)
  .regex(/^\/(?![/\\])[\x21-\x7e]*$/, "must be a path on this site")
  .default("/");
const startQuery = z.object({ returnTo, region: z.enum(REGIONS).optional() });
const callbackQuery = z.object({
  code: z.string().max(2048).optional(),
  state: z.string().max(256).optional(),
  error: z.string().max(256).optional(),
  iss: z.string().max(512).optional(),
});

/**
 * OIDC sign-in (browser flow): start redirects to the provider and binds the attempt to this
 * browser; the callback signs in with cookies and redirects to `returnTo`. `region` chooses
 * where a new account's workspace lives (default us-east).
 */
export const oidcRoutes = new Hono<AppEnv>()
  .get("/:provider/start", validate("param", providerParam), validate("query", startQuery), async (c) => {
    const { redirectUrl, state } = await startOidc({
      ctx: c.var.ctx,
      input: { provider: c.req.valid("param").provider, ...c.req.valid("query") },
    });
    setOidcCookie(c, state);
    return c.redirect(redirectUrl, 302);
  })
  .get(
    "/:provider/callback",
    validate("param", providerParam),
    validate("query", callbackQuery),
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
