import { secureHeaders as honoSecureHeaders, NONCE } from "hono/secure-headers";

/**
 * Strict browser headers (DESIGN §13): CSP with a per-request nonce for scripts and styles,
 * no framing, no sniffing, isolation headers and HSTS with preload.
 */
export const secureHeaders = honoSecureHeaders({
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'", NONCE],
    styleSrc: ["'self'", NONCE],
    imgSrc: ["'self'", "data:"],
    connectSrc: ["'self'"],
    fontSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
    objectSrc: ["'none'"],
  },
  crossOriginOpenerPolicy: "same-origin",
  crossOriginResourcePolicy: "same-origin",
  crossOriginEmbedderPolicy: false,
  xFrameOptions: "DENY",
  xContentTypeOptions: "nosniff",
  referrerPolicy: "no-referrer",
  strictTransportSecurity: "max-age=63072000; includeSubDomains; preload",
  permissionsPolicy: { camera: [], microphone: [], geolocation: [] },
});
