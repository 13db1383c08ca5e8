// `POST /csp-report`: where browsers report Content-Security-Policy violations, both as the
// Reporting API sends them (`application/reports+json`, named by `report-to`) and as `report-uri`
// does (`application/csp-report`). Rate-limited per IP by the Gatekeeper, small bodies only,
// logged as a summary: the directive and where, never query strings (they may carry tokens).
import { Hono } from "hono";
import { bodyLimit as honoBodyLimit } from "hono/body-limit";
import { z } from "zod";
import { CSP_REPORT_PATH } from "../http/csp";
import type { AppEnv } from "../http/env";
import { ApiError } from "../lib/errors";

const MAX_REPORT_BYTES = 16 * 1024;
const MAX_REPORTS = 20;

const text = z.string().max(4096).optional();
/** The fields islet reads of either format (both name them the same up to case). */
const violation = z.looseObject({
  documentURL: text,
  "document-uri": text,
  effectiveDirective: text,
  "effective-directive": text,
  "violated-directive": text,
  blockedURL: text,
  "blocked-uri": text,
  disposition: text,
});
const legacy = z.object({ "csp-report": violation });
const reporting = z
  .array(z.looseObject({ type: z.string().max(64), body: violation.optional() }))
  .max(MAX_REPORTS);

/** Origin and path of a URL-ish report field; keywords (`inline`, `eval`) as they are. */
function where(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return `${url.origin}${url.pathname}`;
  } catch {
    return value.slice(0, 64);
  }
}

/** A report's own body limit, far below a request's: src/app.ts runs it, then the Gatekeeper. */
export const cspReportBodyLimit = honoBodyLimit({
  maxSize: MAX_REPORT_BYTES,
  onError: () => {
    throw new ApiError("payload_too_large", `A report is at most ${MAX_REPORT_BYTES} bytes`);
  },
});

export const cspReportRoutes = new Hono<AppEnv>().post(CSP_REPORT_PATH, async (c) => {
  const type = (c.req.header("Content-Type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (
    type !== "application/csp-report" &&
    type !== "application/reports+json" &&
    type !== "application/json"
  ) {
    throw new ApiError(
      "unsupported_media_type",
      "Reports are application/reports+json or application/csp-report",
    );
  }
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new ApiError("invalid_json", "The report is not valid JSON");
  }
  const one = legacy.safeParse(body);
  const many = reporting.safeParse(body);
  const reports = one.success
    ? [one.data["csp-report"]]
    : many.success
      ? many.data
          .filter((r) => r.type === "csp-violation" && r.body)
          .map((r) => r.body as z.infer<typeof violation>)
      : undefined;
  if (!reports) throw new ApiError("invalid_request", "Not a CSP violation report");
  for (const r of reports) {
    c.get("logger").warn("csp violation", {
      directive: r.effectiveDirective ?? r["effective-directive"] ?? r["violated-directive"],
      blocked: where(r.blockedURL ?? r["blocked-uri"]),
      document: where(r.documentURL ?? r["document-uri"]),
      disposition: r.disposition,
    });
  }
  return c.body(null, 204);
});
