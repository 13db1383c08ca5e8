import { Hono } from "hono";
import { z } from "zod";
import { validate } from "../../lib/validate";
import { acceptInvitation } from "../../services/members";
import type { AppEnv } from "../../types";

const acceptBody = z.strictObject({
  token: z.string().regex(/^[0-9a-f]{64}$/, "must be an invitation token"),
});

/** `POST /v1/invitations/accept`: the signed-in invitee joins the workspace. */
export const invitationsRoutes = new Hono<AppEnv>().post(
  "/accept",
  validate("json", acceptBody),
  async (c) => {
    const joined = await acceptInvitation({ ctx: c.var.ctx, input: c.req.valid("json") });
    return c.json(joined);
  },
);
