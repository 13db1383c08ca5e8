import { json, jsonBody, named, operation, router, SECURITY } from "../../http/openapi";
import { acceptInvitation, acceptInvitationInput, Joined } from "../../services/members";

/** `POST /v1/invitations/accept`: the signed-in invitee joins the workspace. */
export const invitationsRoutes = router().openapi(
  operation({
    operationId: "acceptInvitation",
    method: "post",
    path: "/accept",
    tags: ["Members"],
    security: SECURITY.user,
    summary: "Accept an invitation (signed in as the invited address)",
    request: { body: jsonBody(acceptInvitationInput) },
    responses: { 200: json(named(Joined, "Joined"), "The workspace joined and the role") },
    errors: [409, 410],
  }),
  async (c) => c.json(await acceptInvitation({ ctx: c.var.ctx, input: c.req.valid("json") }), 200),
);
