import { createMiddleware } from "hono/factory";
import { secureHeaders as honoSecureHeaders, NONCE } from "hono/secure-headers";
import { CSP_REPORT_PATH } from "../http/csp";
import type { AppEnv } from "../http/env";

const REPORT_GROUP = "csp";

/** Responses that are data, never documents: nothing in them may load or run anything. */
const API_PREFIXES = ["/v1/", "/mcp", "/health", "/.well-known/", "/openapi.json", CSP_REPORT_PATH];
const isApiPath = (path: string) => API_PREFIXES.some((prefix) => path === prefix || path.startsWith(prefix));

/** Directives every response carries: no framing, no base or plugin tricks, forms stay home. */
const always = {
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  objectSrc: ["'none'"],
  formAction: ["'self'"],
  reportUri: CSP_REPORT_PATH,
  reportTo: REPORT_GROUP,
};

/**
 * Pages: scripts only with this response's nonce, and what those scripts load themselves
 * (`strict-dynamic`; `'self'` is the fallback for browsers without it); styles from islet or
 * with the nonce; connections to islet only. No third-party origin anywhere.
 */
const pagePolicy = {
  ...always,
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'", NONCE, "'strict-dynamic'"],
  styleSrc: ["'self'", NONCE],
  imgSrc: ["'self'", "data:"],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  manifestSrc: ["'self'"],
};

/** API responses: `default-src 'none'` (a JSON body opened as a document can do nothing). */
const apiPolicy = { ...always, defaultSrc: ["'none'"] };

const build = (policy: typeof apiPolicy, https: boolean) =>
  honoSecureHeaders({
    contentSecurityPolicy: policy,
    reportingEndpoints: [{ name: REPORT_GROUP, url: CSP_REPORT_PATH }],
    crossOriginOpenerPolicy: "same-origin",
    crossOriginResourcePolicy: "same-origin",
    crossOriginEmbedderPolicy: false,
    xFrameOptions: "DENY",
    xContentTypeOptions: "nosniff",
    // No Referer at all, not even to islet itself: the links mail carries (?token=…) must not
    // travel on to the page's own asset requests and into edge logs. Form posts then carry
    // `Origin: null`, which the dashboard's form guard accepts only with Sec-Fetch-Site: same-origin.
    referrerPolicy: "no-referrer",
    // Only where the deployment is HTTPS: HSTS over plain HTTP is ignored by browsers, and a
    // local stack on 127.0.0.1 must not pin itself.
    strictTransportSecurity: https ? "max-age=63072000; includeSubDomains; preload" : false,
    permissionsPolicy: {
      camera: [],
      microphone: [],
      geolocation: [],
      payment: [],
      usb: [],
      // The dashboard's copy buttons write the clipboard; nothing may read it.
      clipboardRead: [],
      clipboardWrite: ["self"],
    },
  });

const variants = {
  page: { https: build(pagePolicy, true), plain: build(pagePolicy, false) },
  api: { https: build(apiPolicy, true), plain: build(apiPolicy, false) },
};

/**
 * Strict browser headers on every response (architecture §13): CSP with a per-request nonce, no
 * framing, no sniffing, isolation headers, and HSTS with preload on HTTPS deployments.
 */
export const secureHeaders = createMiddleware<AppEnv>(async (c, next) => {
  const kind = isApiPath(c.req.path) ? variants.api : variants.page;
  // Read from the binding itself: these headers go out before the config is checked, so that a
  // misconfigured deployment's refusal carries them too (no PUBLIC_URL at all: HTTPS assumed).
  const https = (c.env.PUBLIC_URL as string | undefined)?.startsWith("https:") ?? true;
  return (https ? kind.https : kind.plain)(c, next);
});
