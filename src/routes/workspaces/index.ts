import { Hono } from "hono";
import { z } from "zod";
import { ApiError } from "../../lib/errors";
import { REGIONS } from "../../lib/tenancy";
import { validate } from "../../lib/validate";
import {
  createWorkspace,
  deleteWorkspace,
  getWorkspace,
  listWorkspaces,
  renameWorkspace,
  transferWorkspace,
} from "../../services/workspaces";
import { SLUG } from "../../services/workspaces/create";
import type { AppEnv } from "../../types";
import { issuersRoutes } from "./issuers";

const name = z.string().trim().min(1).max(100);
const createBody = z.strictObject({ name, region: z.enum(REGIONS), slug: z.string().regex(SLUG).optional() });
const renameBody = z.strictObject({ name });
const transferBody = z.strictObject({ userId: z.string().regex(/^usr_[0-9a-z]{26}$/) });
const deleteBody = z.strictObject({ confirm: z.string().max(100).optional() }).optional();
const workspaceParam = z.object({ workspaceId: z.string() });
/** Idempotency-Key (IETF draft-ietf-httpapi-idempotency-key-header): an opaque client string. */
const idempotencyKey = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, "must be 1–255 printable ASCII characters")
  .optional();

export const workspacesRoutes = new Hono<AppEnv>()
  .post("/", validate("json", createBody), async (c) => {
    const key = idempotencyKey.safeParse(c.req.header("Idempotency-Key"));
    if (!key.success) {
      throw new ApiError("invalid_request", "Invalid Idempotency-Key header", {
        details: { header: "Idempotency-Key" },
      });
    }
    const { workspace, created } = await createWorkspace({
      ctx: c.var.ctx,
      input: { ...c.req.valid("json"), idempotencyKey: key.data },
    });
    if (!created) c.header("Idempotent-Replayed", "true");
    return c.json({ workspace }, created ? 201 : 200);
  })
  .get("/", async (c) => c.json({ workspaces: await listWorkspaces({ ctx: c.var.ctx }) }))
  .get("/:workspaceId", validate("param", workspaceParam), async (c) => {
    const workspace = await getWorkspace({ ctx: c.var.ctx, input: c.req.valid("param") });
    return c.json({ workspace });
  })
  .patch("/:workspaceId", validate("param", workspaceParam), validate("json", renameBody), async (c) => {
    const input = { ...c.req.valid("param"), ...c.req.valid("json") };
    return c.json({ workspace: await renameWorkspace({ ctx: c.var.ctx, input }) });
  })
  .post(
    "/:workspaceId/transfer",
    validate("param", workspaceParam),
    validate("json", transferBody),
    async (c) => {
      const input = { ...c.req.valid("param"), ...c.req.valid("json") };
      return c.json({ workspace: await transferWorkspace({ ctx: c.var.ctx, input }) });
    },
  )
  .delete("/:workspaceId", validate("param", workspaceParam), validate("json", deleteBody), async (c) => {
    // `confirm` may come in the body or, for clients that drop DELETE bodies, the query string.
    const confirm = c.req.valid("json")?.confirm ?? c.req.query("confirm");
    await deleteWorkspace({ ctx: c.var.ctx, input: { ...c.req.valid("param"), confirm } });
    return c.body(null, 204);
  })
  .route("/:workspaceId/issuers", issuersRoutes);
