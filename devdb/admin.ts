// The admin listener, after sqld's docs/ADMIN_API.md:
//   POST   /v1/namespaces/:ns/create   body {} or none -> 200 {}; 409 when it exists
//   DELETE /v1/namespaces/:ns          -> 200 {}; 404 when missing; open streams are closed
//   GET    /v1/namespaces              -> 200 { "namespaces": [...] }   (devdb extension)
// Snapshots, for backups (devdb extensions; sqld has no equivalent — Turso keeps history instead):
//   POST   /v1/namespaces/:ns/snapshots              -> 200 { "snapshot": { id, namespace, created_at, size } }
//   GET    /v1/namespaces/:ns/snapshots              -> 200 { "snapshots": [...] }
//   DELETE /v1/namespaces/:ns/snapshots/:id          -> 200 {}; 404 when missing
//   POST   /v1/namespaces/:ns/snapshots/:id/restore  body { "to": "<new ns>" } -> 200 {}; 409 when it exists
//   GET    /health
import type { IncomingMessage, ServerResponse } from "node:http";
import { bearerMatches, isLoopback } from "./auth.ts";
import { HttpError } from "./errors.ts";
import { parseJson, pathOf, readBody, sendJson, serve } from "./http.ts";
import type { NamespaceStore } from "./namespaces.ts";

export interface AdminDeps {
  namespaces: NamespaceStore;
  /** When set, every admin request but /health needs `Authorization: Bearer <adminToken>`. */
  adminToken: string | undefined;
  log: (line: string) => void;
}

/** The create body may be empty or a JSON object; sqld's dump/fork options are not supported. */
async function readCreateBody(req: IncomingMessage): Promise<void> {
  const body = await readBody(req, 64 * 1024);
  if (body.toString("utf8").trim() === "") return;
  const parsed = parseJson(body);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, "INVALID_REQUEST", "Request body must be a JSON object");
  }
  for (const option of ["dump_url", "shared_schema_name", "block_reads", "block_writes"]) {
    if (option in parsed) throw new HttpError(400, "INVALID_REQUEST", `devdb does not support \`${option}\``);
  }
}

export function createAdminHandler(deps: AdminDeps): (req: IncomingMessage, res: ServerResponse) => void {
  function authorize(req: IncomingMessage): void {
    if (deps.adminToken !== undefined) {
      if (!bearerMatches(req.headers.authorization, deps.adminToken)) {
        throw new HttpError(401, "ADMIN_UNAUTHORIZED", "A valid admin token is required");
      }
    } else if (!isLoopback(req.socket.remoteAddress)) {
      throw new HttpError(
        401,
        "ADMIN_UNAUTHORIZED",
        "Without an admin token the admin API only serves loopback clients",
      );
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = pathOf(req);
    const method = req.method ?? "GET";
    if (path === "/health") {
      if (method !== "GET") throw new HttpError(405, "METHOD_NOT_ALLOWED", "/health expects GET");
      sendJson(res, 200, { status: "ok" });
      return;
    }
    if (path === "/v1/namespaces") {
      authorize(req);
      if (method !== "GET") throw new HttpError(405, "METHOD_NOT_ALLOWED", `${path} expects GET`);
      sendJson(res, 200, { namespaces: deps.namespaces.list() });
      return;
    }
    const snapshots = /^\/v1\/namespaces\/([^/]+)\/snapshots(?:\/([^/]+)(\/restore)?)?$/.exec(path);
    if (snapshots) {
      authorize(req);
      await routeSnapshot(req, res, method, snapshots);
      return;
    }
    const create = /^\/v1\/namespaces\/([^/]+)\/create$/.exec(path);
    const remove = /^\/v1\/namespaces\/([^/]+)$/.exec(path);
    const name = decodeName(create?.[1] ?? remove?.[1]);
    if (name === undefined) throw new HttpError(404, "NOT_FOUND", `No route for ${path.slice(0, 100)}`);
    authorize(req);
    if (create && method === "POST") {
      await readCreateBody(req);
      deps.namespaces.create(name);
      deps.log(`namespace ${name} created`);
    } else if (remove && method === "DELETE") {
      await deps.namespaces.delete(name);
      deps.log(`namespace ${name} deleted`);
    } else {
      throw new HttpError(405, "METHOD_NOT_ALLOWED", `${path} expects ${create ? "POST" : "DELETE"}`);
    }
    sendJson(res, 200, {});
  }

  async function routeSnapshot(
    req: IncomingMessage,
    res: ServerResponse,
    method: string,
    match: RegExpExecArray,
  ): Promise<void> {
    const name = decodeName(match[1]);
    const id = match[2] === undefined ? undefined : decodeName(match[2]);
    if (name === undefined || (match[2] !== undefined && id === undefined))
      throw new HttpError(404, "NOT_FOUND", "No such snapshot");
    if (id === undefined) {
      if (method === "POST") {
        const snapshot = await deps.namespaces.snapshot(name);
        deps.log(`namespace ${name} snapshot ${snapshot.id}`);
        return sendJson(res, 200, { snapshot });
      }
      if (method === "GET") return sendJson(res, 200, { snapshots: deps.namespaces.listSnapshots(name) });
      throw new HttpError(405, "METHOD_NOT_ALLOWED", "snapshots expect GET or POST");
    }
    if (match[3] !== undefined) {
      if (method !== "POST") throw new HttpError(405, "METHOD_NOT_ALLOWED", "restore expects POST");
      const body = parseJson(await readBody(req, 64 * 1024)) as { to?: unknown } | null;
      if (typeof body?.to !== "string")
        throw new HttpError(400, "INVALID_REQUEST", 'Request body must be { "to": "<namespace>" }');
      deps.namespaces.restoreSnapshot(name, id, body.to);
      deps.log(`namespace ${body.to} restored from ${name} snapshot ${id}`);
      return sendJson(res, 200, {});
    }
    if (method !== "DELETE") throw new HttpError(405, "METHOD_NOT_ALLOWED", "a snapshot expects DELETE");
    deps.namespaces.deleteSnapshot(name, id);
    sendJson(res, 200, {});
  }

  return serve(route, deps.log, "admin ");
}

function decodeName(segment: string | undefined): string | undefined {
  if (segment === undefined) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, "NAMESPACE_INVALID", "Invalid namespace");
  }
}
