import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../lib/errors";
import type { AppEnv } from "../types";

/** The one route whose body is an archive, not a request: it has its own, larger limit. */
const IMPORT_PATH = /^\/v1\/workspaces\/[^/]+\/import\/?$/;

/**
 * Bodies over `MAX_BODY_BYTES` (a workspace import: `MAX_IMPORT_BYTES`) are refused with 413
 * before anything reads them.
 */
export const bodyLimit = createMiddleware<AppEnv>(async (c, next) => {
  const config = c.get("config");
  const maxSize = IMPORT_PATH.test(c.req.path) ? config.MAX_IMPORT_BYTES : config.MAX_BODY_BYTES;
  return honoBodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError("payload_too_large", `Request body exceeds ${maxSize} bytes`);
    },
  })(c, next);
});
