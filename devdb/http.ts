// Small HTTP helpers shared by the Hrana and admin listeners.
import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError } from "./errors.ts";

/** Bytes of an oversized body devdb still reads (and drops) so the client sees the 413. */
const DRAIN_LIMIT = 64 * 1024 * 1024;

/** Reads the request body, refusing (413) bodies larger than `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = () => new HttpError(413, "PAYLOAD_TOO_LARGE", `Request body exceeds ${limit} bytes`);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      chunks.length = 0;
      // Keep draining so the client can read the 413, but not an endless upload.
      if (size > limit + DRAIN_LIMIT) {
        reject(tooLarge());
        req.destroy();
      }
    });
    req.on("end", () => (size > limit ? reject(tooLarge()) : resolve(Buffer.concat(chunks))));
    req.on("error", reject);
  });
}

/** Parses a JSON body; malformed JSON is a 400, never a crash. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw new HttpError(400, "INVALID_JSON", "Request body is not valid JSON");
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  // Exactly "application/json": @libsql/hrana-client only parses error bodies with this type.
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(data) });
  res.end(data);
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Error body: sqld's `{ "error": message }`, plus `message` and `code` so that @libsql/client turns
 * it into a LibsqlError whose `code` is the devdb code (hrana-client http/stream.js errorFromResponse).
 */
export function sendError(res: ServerResponse, error: HttpError): void {
  if (error.status === 413) res.setHeader("connection", "close");
  sendJson(res, error.status, { error: error.message, message: error.message, code: error.code });
}

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * Wraps a router into a request listener: HttpErrors become JSON error responses, anything else is
 * logged and answered with a 500 that reveals nothing.
 */
export function serve(route: Route, log: (line: string) => void, label: string) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
      } else if (error instanceof HttpError) {
        log(`${label}${req.method} ${pathOf(req)} -> ${error.status} ${error.code}`);
        sendError(res, error);
      } else {
        log(
          `${label}internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
        sendError(res, new HttpError(500, "INTERNAL_ERROR", "Internal server error"));
      }
    });
  };
}

/** The path of a request without its query string. */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? "/";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}
