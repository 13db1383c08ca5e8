import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/env";
import { ApiError } from "../lib/errors";

/** The one route whose body is an archive, not a request: it has its own, larger limit. */
const IMPORT_PATH = /^\/v1\/workspaces\/[^/]+\/import\/?$/;

/**
 * Bodies over `MAX_BODY_BYTES` are refused with 413 before anything reads them. A workspace
 * import is the exception: this runs before authentication, so its body is not read here at all
 * (hono's limit buffers a body sent without Content-Length): an over-size declared length is
 * refused, and the import verb reads the stream itself, after authorization, up to
 * `MAX_IMPORT_BYTES`.
 */
export const bodyLimit = createMiddleware<AppEnv>(async (c, next) => {
  const config = c.get("config");
  if (IMPORT_PATH.test(c.req.path)) {
    const declared = Number(c.req.header("Content-Length") ?? Number.NaN);
    if (declared > config.MAX_IMPORT_BYTES) {
      throw new ApiError("payload_too_large", `Request body exceeds ${config.MAX_IMPORT_BYTES} bytes`);
    }
    return next();
  }
  return honoBodyLimit({
    maxSize: config.MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError("payload_too_large", `Request body exceeds ${config.MAX_BODY_BYTES} bytes`);
    },
  })(c, next);
});
