// The user-facing listener: Hrana over HTTP (HRANA_3_SPEC.md and HTTP_V2_SPEC.md), JSON encoding.
//   GET /v2, GET /v3           version probes (v3-protobuf answers 404, so clients use JSON)
//   POST /v2/pipeline, /v3/pipeline, /v3/cursor
//   GET /health
import type { IncomingMessage, ServerResponse } from "node:http";
import type { z } from "zod";
import { FULL_ACCESS, type Grant, isLoopback, type JwtVerifier } from "./auth.ts";
import { HttpError } from "./errors.ts";
import { Session, type StreamResult } from "./executor.ts";
import { parseJson, pathOf, readBody, sendJson, sendText, serve } from "./http.ts";
import { checkNamespaceName, DEFAULT_NAMESPACE, type Namespace, type NamespaceStore } from "./namespaces.ts";
import { cursorBodySchema, describeIssues, pipelineBodySchema, type StmtResult } from "./protocol.ts";
import { planRequests, type RequestContext } from "./requests.ts";
import type { StreamRegistry } from "./streams.ts";

export interface HranaDeps {
  namespaces: NamespaceStore;
  streams: StreamRegistry;
  /** null: no JWT key configured, only loopback peers are served (with full access). */
  jwt: JwtVerifier | null;
  maxBodyBytes: number;
  busyTimeoutMs: number;
  statementTimeoutMs: number;
  log: (line: string) => void;
}

interface Admitted {
  grant: Grant;
  namespace: Namespace;
}

/** `x-namespace` header, else `<ns>.localhost[:port]` in Host (as sqld), else `default`. */
function namespaceName(req: IncomingMessage): string {
  const header = req.headers["x-namespace"];
  if (typeof header === "string") return checkNamespaceName(header);
  const host = /^([^.:]+)\.localhost(?::\d+)?$/i.exec(req.headers.host ?? "");
  if (host?.[1] !== undefined) return checkNamespaceName(host[1].toLowerCase());
  return DEFAULT_NAMESPACE;
}

export function createHranaHandler(deps: HranaDeps): (req: IncomingMessage, res: ServerResponse) => void {
  async function authenticate(req: IncomingMessage): Promise<Grant> {
    if (deps.jwt !== null) return deps.jwt.verify(req.headers.authorization);
    if (isLoopback(req.socket.remoteAddress)) return FULL_ACCESS;
    throw new HttpError(
      401,
      "AUTH_REQUIRED",
      "Unauthenticated access is only allowed from loopback addresses",
    );
  }

  async function admit(req: IncomingMessage): Promise<Admitted> {
    const grant = await authenticate(req);
    const name = namespaceName(req);
    // Authorisation before existence, so a token learns nothing about other tenants' namespaces.
    if (!grant.canRead(name)) {
      throw new HttpError(
        403,
        "FORBIDDEN",
        `Current session does not have Read permission to namespace \`${name}\``,
      );
    }
    const namespace = deps.namespaces.get(name);
    if (namespace === undefined) {
      throw new HttpError(404, "NAMESPACE_NOT_FOUND", `Namespace \`${name}\` does not exist`);
    }
    return { grant, namespace };
  }

  async function readRequest<T>(req: IncomingMessage, schema: z.ZodType<T>): Promise<T> {
    const parsed = schema.safeParse(parseJson(await readBody(req, deps.maxBodyBytes)));
    if (!parsed.success) throw new HttpError(400, "HRANA_PROTO_ERROR", describeIssues(parsed.error));
    return parsed.data;
  }

  function context(admitted: Admitted, version: 2 | 3): RequestContext {
    return {
      version,
      canWrite: admitted.grant.canWrite(admitted.namespace.name),
      busyTimeoutMs: deps.busyTimeoutMs,
      statementTimeoutMs: deps.statementTimeoutMs,
    };
  }

  async function pipeline(req: IncomingMessage, res: ServerResponse, version: 2 | 3): Promise<void> {
    const admitted = await admit(req);
    const body = await readRequest(req, pipelineBodySchema);
    const ctx = context(admitted, version);
    const stream = body.baton
      ? deps.streams.acquire(body.baton, admitted.namespace)
      : deps.streams.open(admitted.namespace);
    try {
      planRequests(body.requests, stream, ctx);
      const session = new Session(stream, ctx);
      const results: StreamResult[] = [];
      for (const request of body.requests) results.push(await session.handle(request));
      sendJson(res, 200, { baton: deps.streams.release(stream), base_url: null, results });
    } catch (error) {
      // As in sqld, a request that fails as a whole takes its stream (and transaction) with it.
      stream.destroy();
      throw error;
    }
  }

  async function cursor(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const admitted = await admit(req);
    const body = await readRequest(req, cursorBodySchema);
    const ctx = context(admitted, 3);
    const stream = body.baton
      ? deps.streams.acquire(body.baton, admitted.namespace)
      : deps.streams.open(admitted.namespace);
    try {
      planRequests([{ type: "batch", batch: body.batch }], stream, ctx);
      const entries: unknown[] = [];
      await new Session(stream, ctx).batch(body.batch, (step, outcome) => {
        if (!("cols" in outcome)) {
          entries.push({ type: "step_error", step, error: outcome });
          return;
        }
        entries.push({ type: "step_begin", step, cols: outcome.cols });
        for (const row of outcome.rows) entries.push({ type: "row", row });
        entries.push(stepEnd(outcome));
      });
      const head = { baton: deps.streams.release(stream), base_url: null };
      // HRANA_3_SPEC.md, "Execute a batch using a cursor (JSON)": one JSON value per line.
      sendText(res, 200, `${[head, ...entries].map((e) => JSON.stringify(e)).join("\n")}\n`);
    } catch (error) {
      stream.destroy();
      throw error;
    }
  }

  type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;
  const routes: Record<string, [method: string, handler: Handler]> = {
    "/health": ["GET", (_req, res) => sendJson(res, 200, { status: "ok" })],
    "/v2": ["GET", (_req, res) => sendText(res, 200, "Hello, this is HTTP API v2 (Hrana over HTTP)")],
    "/v3": ["GET", (_req, res) => sendText(res, 200, "Hello, this is HTTP API v3 (Hrana over HTTP)")],
    "/v2/pipeline": ["POST", (req, res) => pipeline(req, res, 2)],
    "/v3/pipeline": ["POST", (req, res) => pipeline(req, res, 3)],
    "/v3/cursor": ["POST", cursor],
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req);
    const route = routes[path];
    // /v3-protobuf and friends: not found, so @libsql/hrana-client falls back to JSON.
    if (route === undefined) throw new HttpError(404, "NOT_FOUND", `No route for ${path.slice(0, 100)}`);
    const [method, handler] = route;
    if (req.method !== method) throw new HttpError(405, "METHOD_NOT_ALLOWED", `${path} expects ${method}`);
    await handler(req, res);
  }

  return serve(route, deps.log, "");
}

function stepEnd(result: StmtResult) {
  return {
    type: "step_end",
    affected_row_count: result.affected_row_count,
    last_insert_rowid: result.last_insert_rowid,
  };
}
