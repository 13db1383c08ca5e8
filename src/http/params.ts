import { z } from "@hono/zod-openapi";

/**
 * The `:workspaceId` of a `/v1/workspaces/{workspaceId}/…` route. The loadWorkspace middleware has
 * already answered 404 for a malformed one; services authorize it.
 */
export const workspaceParam = z.object({
  workspaceId: z
    .string()
    .openapi({ param: { name: "workspaceId", in: "path" }, example: "ws_01j9z3m4k5n6p7q8r9s0t1v2w3" }),
});
