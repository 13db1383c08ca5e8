import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../lib/errors";
import type { AppEnv } from "../types";

/** Bodies over `MAX_BODY_BYTES` are refused with 413 before anything reads them. */
export const bodyLimit = createMiddleware<AppEnv>(async (c, next) =>
  honoBodyLimit({
    maxSize: c.get("config").MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError("payload_too_large", `Request body exceeds ${c.get("config").MAX_BODY_BYTES} bytes`);
    },
  })(c, next),
);
