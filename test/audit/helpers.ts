// Helpers for the audit tests: a direct connection to a tenant database (what an attacker with
// database credentials would hold), fast seeding of a valid hash chain, and reads of both logs.

import { env } from "cloudflare:workers";
import { type Client, createClient, type InValue } from "@libsql/client/web";
import { eq } from "drizzle-orm";
import { controlDb } from "../../src/db/control/client";
import { type WorkspaceRow, workspaces } from "../../src/db/control/schema";
import { newId } from "../../src/lib/ids";
import { LocalProvisioner } from "../../src/provision/local";
import {
  type AuditRow,
  auditInsertSql,
  auditValues,
  chainHash,
  GENESIS_HASH,
} from "../../src/services/audit";
import { call, json, makeUser, makeWorkspace, type TestUser, testConfig } from "../helpers";
import { callWith, makeOperator } from "./operator-helpers";

/**
 * Opens a workspace's database straight at devdb with a token minted for its namespace, bypassing
 * islet entirely (devdb selects the namespace from the `x-namespace` header).
 */
export async function directTenant(workspace: WorkspaceRow): Promise<Client> {
  const config = testConfig();
  const provisioner = new LocalProvisioner({
    url: String(env.DEVDB_URL),
    adminUrl: String(env.DEVDB_ADMIN_URL),
    jwtPrivateKey: String(env.DEVDB_JWT_PRIVATE_KEY),
    adminToken: config.DEVDB_ADMIN_TOKEN,
  });
  const token = await provisioner.mintToken(workspace.dbName);
  return createClient({
    url: String(env.DEVDB_URL),
    authToken: token,
    intMode: "number",
    fetch: (request: Request) => {
      const headers = new Headers(request.headers);
      headers.set("x-namespace", workspace.dbName);
      return fetch(new Request(request, { headers }));
    },
  });
}

/** A workspace on a plan, set through the real operator plan route. */
export async function workspaceOnPlan(
  plan: "free" | "pro" | "business" | "enterprise",
  owner?: TestUser,
): Promise<{ owner: TestUser; workspace: WorkspaceRow }> {
  const who = owner ?? (await makeUser());
  const workspace = await makeWorkspace(who);
  if (plan !== "free") {
    const operator = await makeOperator("billing");
    const res = await callWith(operator.vars, "PUT", `/v1/operator/workspaces/${workspace.id}/plan`, {
      authorization: `Operator ${operator.token}`,
      body: { plan, reason: "test: billing sets the plan" },
    });
    if (res.status !== 200) throw new Error(`plan change: ${res.status} ${await res.text()}`);
  }
  const [row] = await controlDb(testConfig())
    .select()
    .from(workspaces)
    .where(eq(workspaces.id, workspace.id));
  if (!row) throw new Error("workspace vanished");
  return { owner: who, workspace: row };
}

/**
 * Appends `count` events with a valid chain from the current tail, in multi-row INSERTs (500 rows
 * each, 10 per request): the fast way to fill a log for export tests. `make` shapes each row.
 */
export async function seedAuditRows(
  tenant: Client,
  count: number,
  make: (i: number) => Partial<AuditRow> = () => ({}),
): Promise<void> {
  const tail = await tenant.execute("SELECT hash FROM _islet_audit_log ORDER BY seq DESC LIMIT 1");
  let prev = tail.rows[0] ? String(tail.rows[0].hash) : GENESIS_HASH;
  const base = Date.now();
  const ROWS_PER_INSERT = 500;
  const INSERTS_PER_BATCH = 10;
  let batch: { sql: string; args: InValue[] }[] = [];
  for (let start = 0; start < count; start += ROWS_PER_INSERT) {
    const args: InValue[] = [];
    const end = Math.min(count, start + ROWS_PER_INSERT);
    for (let i = start; i < end; i++) {
      const row: AuditRow = {
        id: newId("aud"),
        ts: base + i,
        actor_type: "system",
        actor_id: "seed",
        action: "seed.event",
        target_type: "seed",
        target_id: `t${i}`,
        ip: "198.51.100.1",
        user_agent: "seed",
        request_id: `req_seed_${i}`,
        details: JSON.stringify({ i }),
        ...make(i),
      };
      const hash = await chainHash(prev, row);
      args.push(...auditValues(row), prev, hash);
      prev = hash;
    }
    batch.push({ sql: auditInsertSql(end - start), args });
    if (batch.length === INSERTS_PER_BATCH || end === count) {
      await tenant.batch(batch, "write");
      batch = [];
    }
  }
}

export interface LoggedEvent {
  seq: number;
  action: string;
  actor_type: string;
  actor_id: string | null;
  target_id: string | null;
  ip: string | null;
  request_id: string | null;
  details: string;
}

/** Every row of a workspace's audit log, read directly. */
export async function tenantLog(workspace: WorkspaceRow): Promise<LoggedEvent[]> {
  const tenant = await directTenant(workspace);
  try {
    const rows = await tenant.execute(
      "SELECT seq, action, actor_type, actor_id, target_id, ip, request_id, details FROM _islet_audit_log ORDER BY seq",
    );
    return rows.rows.map((r) => ({
      seq: Number(r.seq),
      action: String(r.action),
      actor_type: String(r.actor_type),
      actor_id: r.actor_id === null ? null : String(r.actor_id),
      target_id: r.target_id === null ? null : String(r.target_id),
      ip: r.ip === null ? null : String(r.ip),
      request_id: r.request_id === null ? null : String(r.request_id),
      details: String(r.details),
    }));
  } finally {
    tenant.close();
  }
}

/** Platform security log rows carrying a request id. */
export async function platformLog(where: { requestId?: string; subjectUserId?: string }) {
  const client = controlDb(testConfig()).$client;
  const rows = await client.execute({
    sql: `SELECT id, action, actor_type, actor_id, subject_user_id, ip, request_id, details, purge_after
          FROM security_log WHERE (? IS NULL OR request_id = ?) AND (? IS NULL OR subject_user_id = ?)
          ORDER BY ts, id`,
    args: [
      where.requestId ?? null,
      where.requestId ?? null,
      where.subjectUserId ?? null,
      where.subjectUserId ?? null,
    ],
  });
  return rows.rows.map((r) => ({
    id: String(r.id),
    action: String(r.action),
    actorType: String(r.actor_type),
    actorId: r.actor_id === null ? null : String(r.actor_id),
    ip: r.ip === null ? null : String(r.ip),
    requestId: r.request_id === null ? null : String(r.request_id),
    details: String(r.details),
    purgeAfter: r.purge_after === null ? null : Number(r.purge_after),
  }));
}

export const verify = async (workspaceId: string, token: string) => {
  const res = await call("GET", `/v1/workspaces/${workspaceId}/audit/verify`, { token });
  return { status: res.status, body: await json<Record<string, unknown>>(res) };
};
