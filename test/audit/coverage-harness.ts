// The audit coverage harness: every state-changing /v1 route of the real app must appear in a
// coverage table, mapped to the audit action(s) calling it writes — or to a stated reason why not.
import { eq } from "drizzle-orm";
import type { Hono } from "hono";
import { controlDb } from "../../src/db/control/client";
import { type WorkspaceRow, workspaces } from "../../src/db/control/schema";
import type { AppEnv } from "../../src/http/env";
import { type CallOptions, call, testConfig } from "../helpers";

export interface Exercise {
  /** The client address every request of this exercise comes from (CF-Connecting-IP). */
  ip: string;
  /** `call` from `ip`. */
  send(method: string, path: string, opts?: CallOptions): Promise<Response>;
}

export interface Exercised {
  /** The response of the route under test (its X-Request-Id names the events to find). */
  res: Response;
  /** Whose tenant audit log to read (a row or its id); omit when only the platform log applies. */
  workspace?: WorkspaceRow | string;
}

export interface AuditedRoute {
  /** Actions in the workspace's own audit log for this request, in order. */
  tenant?: string[];
  /** Actions in the platform security log for this request, in order. */
  platform?: string[];
  /** Expected status when not 2xx (e.g. a refused refresh-token reuse is what gets logged). */
  status?: number;
  /** Sets up what the route needs (fresh users and workspaces) and calls it once. */
  exercise: (t: Exercise) => Promise<Exercised>;
}

/** A route that writes no audit event, with the reason a reviewer can judge. */
export interface ExemptRoute {
  exempt: string;
}

export type CoverageEntry = AuditedRoute | ExemptRoute;
/** Keyed `"<METHOD> <path as mounted>"`, e.g. `"DELETE /v1/workspaces/:workspaceId/keys/:keyId"`. */
export type CoverageTable = Record<string, CoverageEntry>;

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Every state-changing /v1 route the app serves, as `"<METHOD> <path>"`, sorted. */
export function stateChangingRoutes(app: Hono<AppEnv>): string[] {
  const keys = app.routes
    .filter((r) => STATE_CHANGING.has(r.method) && (r.path === "/v1" || r.path.startsWith("/v1/")))
    .map((r) => `${r.method} ${r.path}`);
  return [...new Set(keys)].sort();
}

let counter = 0;
/** A documentation-range address per exercise, so per-IP limits never collide. */
export function exercise(): Exercise {
  counter++;
  const ip = `2001:db8:${(counter % 0xffff).toString(16)}:${Math.floor(Math.random() * 0xffff).toString(16)}::ac`;
  return {
    ip,
    send: (method, path, opts = {}) =>
      call(method, path, { ...opts, headers: { "CF-Connecting-IP": ip, ...opts.headers } }),
  };
}

export async function workspaceRow(workspace: WorkspaceRow | string): Promise<WorkspaceRow> {
  if (typeof workspace !== "string") return workspace;
  const [row] = await controlDb(testConfig()).select().from(workspaces).where(eq(workspaces.id, workspace));
  if (!row) throw new Error(`workspace ${workspace} not found`);
  return row;
}

/** Fails the exercise loudly when a setup call does not succeed. */
export async function expectOk(res: Response, what: string): Promise<Response> {
  if (res.status >= 300) throw new Error(`${what}: ${res.status} ${await res.clone().text()}`);
  return res;
}
