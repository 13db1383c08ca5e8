import { Hono } from "hono";
import { z } from "zod";
import { PLAN_IDS, type PlanId } from "../../lib/plans";
import { validate } from "../../lib/validate";
import { gatekeeper } from "../../middleware/gatekeeper";
import { operatorAuthenticate } from "../../middleware/operator";
import {
  BREAK_GLASS_MAX_ROWS,
  MIN_REASON_LENGTH,
  readTenantRows,
  setWorkspacePlan,
} from "../../services/operator";
import type { AppEnv } from "../../types";

const workspaceParam = z.object({
  workspaceId: z.string().regex(/^ws_[0-9a-z]{26}$/, "must be a workspace id"),
});
const planBody = z.strictObject({
  plan: z.enum(PLAN_IDS as [PlanId, ...PlanId[]]),
  reason: z.string().trim().min(MIN_REASON_LENGTH).max(1000),
});
const readBody = z.strictObject({
  table: z.string().min(1).max(63),
  reason: z.string().trim().min(MIN_REASON_LENGTH).max(1000),
  limit: z.number().int().min(1).max(BREAK_GLASS_MAX_ROWS).optional(),
});

/**
 * Operator (break-glass) routes under /v1/operator. Mounted ahead of the app's bearer
 * authentication (src/app.ts): only `Authorization: Operator <token>` is accepted here. The
 * gatekeeper runs first, limiting attempts per IP.
 */
export const operatorRoutes = new Hono<AppEnv>()
  .use("*", gatekeeper, operatorAuthenticate)
  .post(
    "/workspaces/:workspaceId/rows/read",
    validate("param", workspaceParam),
    validate("json", readBody),
    async (c) => {
      const input = { ...c.req.valid("param"), ...c.req.valid("json") };
      c.header("Cache-Control", "no-store");
      return c.json(await readTenantRows({ ctx: c.var.ctx, input }));
    },
  )
  .put(
    "/workspaces/:workspaceId/plan",
    validate("param", workspaceParam),
    validate("json", planBody),
    async (c) => {
      const input = { ...c.req.valid("param"), ...c.req.valid("json") };
      return c.json({ workspace: await setWorkspacePlan({ ctx: c.var.ctx, input }) });
    },
  );
