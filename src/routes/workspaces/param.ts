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

/** Unconverted routes' reader of the mount point's `:workspaceId`. */
export function workspaceIdOf(c: { req: { param: (name: string) => string | undefined } }): string {
  const id = c.req.param("workspaceId");
  if (!id) throw new Error("no workspaceId");
  return id;
}
