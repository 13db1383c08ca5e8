import type { ValidationTargets } from "hono";
import { validator } from "hono/validator";
import type { z } from "zod";
import { ApiError } from "./errors";

/** Zod issues as details: where and what, never the offending value (it may be a secret). */
export function issuesOf(error: z.ZodError) {
  return error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
}

/** Paths may carry a caller's keys (a record's): bounded so a message stays one readable line. */
const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * The one `invalid_request` for input that fails its schema, whatever the transport (REST's
 * validators and hook, MCP tool arguments, socket frames, forms): the message names the place,
 * the first issue's field and what is wrong with it (`Invalid request body: columns.0.type:
 * Invalid option: expected one of …`), so a caller fixes it without reading `details.issues`,
 * which still lists every issue. zod's messages name the expectation, never the value.
 */
export function invalidInput(error: z.ZodError, what: string): ApiError {
  const issues = issuesOf(error);
  const [first] = issues;
  const place = `Invalid ${what}`;
  if (!first) return new ApiError("invalid_request", place, { details: { issues } });
  const field = first.path ? `${clip(first.path, 120)}: ` : "";
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more: see details.issues)` : "";
  return new ApiError("invalid_request", `${place}: ${field}${clip(first.message, 300)}${more}`, {
    details: { issues },
  });
}

export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what = "request"): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalidInput(result.error, what);
  return result.data;
}

/** How an error names the place that failed: "Invalid path parameters", not "Invalid param …". */
const TARGET_NAMES: Partial<Record<keyof ValidationTargets, string>> = {
  json: "request body",
  param: "path parameters",
  query: "query parameters",
  header: "headers",
  cookie: "cookies",
  form: "form body",
};

export const targetName = (target: keyof ValidationTargets) => TARGET_NAMES[target] ?? `${target} parameters`;

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/i;

/**
 * Route validation (every route uses it): JSON bodies must be declared JSON (415 otherwise),
 * malformed JSON is 400 `invalid_json`, schema failures are 400 `invalid_request` naming the field.
 */
export function validate<T extends keyof ValidationTargets, S extends z.ZodType>(target: T, schema: S) {
  return validator(target, async (value, c) => {
    let input: unknown = value;
    if (target === "json") {
      // Hono has already parsed declared-JSON bodies (malformed ones become `invalid_json` in
      // the error middleware). Anything else with a body is the wrong media type.
      const mediaType = (c.req.header("Content-Type") ?? "").split(";")[0]?.trim() ?? "";
      if (!JSON_TYPE.test(mediaType)) {
        if ((await c.req.text()).length > 0) {
          throw new ApiError("unsupported_media_type", "Request body must be application/json");
        }
        input = undefined;
      }
    }
    return parseOrThrow(schema, input, targetName(target)) as z.output<S>;
  });
}
