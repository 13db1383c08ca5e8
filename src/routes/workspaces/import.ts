import { z } from "@hono/zod-openapi";
import { json, named, operation, router, securityOf, streamingOperation } from "../../http/openapi";
import { workspaceParam } from "../../http/params";
import { ApiError } from "../../lib/errors";
import {
  importWorkspace,
  WORKSPACE_ARCHIVE_NEEDS,
  WorkspaceImported as WorkspaceImportedSchema,
} from "../../services/lifecycle";

const WorkspaceImported = named(WorkspaceImportedSchema, "WorkspaceImported");
const ARCHIVE_TYPES = ["application/x-ndjson", "application/jsonl"];

const route = operation({
  operationId: "importWorkspace",
  method: "post",
  path: "/",
  // Its body is a stream the verb reads itself; a second import into the now non-empty workspace
  // is refused (409) anyway.
  idempotency: false,
  tags: ["Workspaces"],
  security: securityOf(WORKSPACE_ARCHIVE_NEEDS.import),
  summary:
    "Import an export archive into this empty workspace: tables with their rows (ids and timestamps kept, formulas recomputed), functions, webhooks and issuers (new secrets), secrets and API accounts when the archive supplies their values; admins, audited, undone whole on failure",
  request: {
    params: workspaceParam,
    body: {
      required: true,
      description: `The NDJSON archive \`GET /export\` wrote (at most MAX_IMPORT_BYTES, 32 MiB by default). Secret values may be added: \`value\` on a \`secret\` line, \`authHeaderValue\` on an \`account\` line, \`secret\` on an hs256 \`issuer\` line. Content-Type ${ARCHIVE_TYPES.join(" or ")}.`,
      content: { "application/x-ndjson": { schema: z.string() } },
    },
  },
  errors: [409, 422],
  responses: {
    200: json(WorkspaceImported, "What was imported; webhook and new issuer secrets shown this once"),
  },
});

/**
 * `POST /v1/workspaces/:workspaceId/import` (src/services/lifecycle/workspace-import.ts): described
 * in /openapi.json like every route, registered as a plain handler because its body is a stream
 * the verb reads itself (bounded by MAX_IMPORT_BYTES in the body limit and in the verb).
 */
export const workspaceImportRoutes = router();
streamingOperation(workspaceImportRoutes, route, async (c) => {
  const type = (c.req.header("Content-Type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (!ARCHIVE_TYPES.includes(type)) {
    throw new ApiError("unsupported_media_type", `An archive is sent as ${ARCHIVE_TYPES.join(" or ")}`);
  }
  const imported = await importWorkspace({
    ctx: c.var.ctx,
    input: { workspaceId: c.req.param("workspaceId") ?? "", archive: c.req.raw.body ?? "" },
  });
  return c.json(imported, 200);
});
