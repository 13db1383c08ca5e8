// Idempotency keys (issue 19; architecture §2 "Retries"), for every transport: a REST route's
// `Idempotency-Key` header (src/http/idempotency.ts) and an MCP tool's `idempotencyKey`
// argument (src/mcp/server.ts) both run their verb through `runIdempotent`.
//
// - A key is scoped to its principal (a user, an API key, an end user, an operator) and, for
//   workspace routes, to the workspace: its record lives in that workspace's database, written in
//   the same transaction as the change (src/db/idempotency.ts). Routes about no workspace keep theirs in
//   the control database, written once the answer is known.
// - The first request with a key runs; its status and body are stored for 24 h. A repeat with
//   the same input gets that answer again, marked as a replay; with another input, 422
//   `idempotency_mismatch`; while the first still runs, 409 `idempotency_in_progress`. A record
//   whose answer never came (the request hit its deadline after the commit) answers 409
//   `idempotency_committed`: the change was made once, and is not made again.
// - Stored answers never hold a secret shown once: those fields are left out of the record.
// - Only a request that changed something keeps a record: one refused before its first commit
//   (bad input, a conflict) can be retried with the same key once its cause is fixed.
import type { Client } from "@libsql/client/web";
import { controlDb } from "../../db/control/client";
import type { WorkspaceRow } from "../../db/control/schema";
import {
  CONTROL_TABLE,
  expireStatement,
  findRecord,
  type KeyedWrite,
  type StoredRecord,
  TENANT_TABLE,
  withKeyedWrite,
} from "../../db/idempotency";
import { tenantDb } from "../../db/tenant/client";
import { sha256Hex } from "../../lib/crypto";
import { currentBudget, withCleanupBudget } from "../../lib/deadline";
import { ApiError } from "../../lib/errors";
import type { Actor } from "../core/actor";
import type { ServiceContext } from "../core/context";
import { claimIdempotencyKey, releaseIdempotencyKey } from "../gatekeeper";
import { credentialPrincipal } from "../gatekeeper/admission";

export { IDEMPOTENCY_TTL_MS } from "../../db/idempotency";

/** An answer as stored and replayed: the status and the body's text. */
export interface Answer {
  status: number;
  body: string;
  contentType?: string;
}

export interface KeyedCall {
  /** `idempotencyPrincipal(actor)`. */
  principal: string;
  key: string;
  /** What was asked, e.g. `POST /v1/workspaces/ws_1/tables/t/rows` or `mcp insert_rows`. */
  operation: string;
  /** What the fingerprint covers besides the operation: the query and body, the tool's arguments. */
  input: unknown;
  /** The workspace the record belongs to (and its authorized database, if opened); omitted: control. */
  workspace?: { row: WorkspaceRow; db?: () => Promise<Client> };
  /** Top-level fields of a JSON answer shown once (a key's token, a webhook's secret): never stored. */
  shownOnce?: readonly string[];
}

export interface Outcome {
  answer: Answer;
  /** The answer is the stored one of an earlier request. */
  replayed: boolean;
}

/**
 * Whose keys these are: a credential's holder, whose Gatekeeper object also holds its keys in
 * flight; none for anonymous callers (they have no scope to keep a key in).
 */
export function idempotencyPrincipal(actor: Actor): string | undefined {
  if (actor.type === "operator") return `operator:${actor.operatorId}`;
  if (actor.type === "user" || actor.type === "apiKey" || actor.type === "endUser") {
    return credentialPrincipal(actor);
  }
  return undefined;
}

/** The record's id: the key, scoped to its principal, hashed (the key itself is never stored). */
export const recordId = (principal: string, key: string) => sha256Hex(`${principal}\n${key}`);

/**
 * Runs `run` at most once per principal and key (see the top of this file). `run` returns the
 * answer, an error answer included; an exception from it propagates as it is.
 */
export async function runIdempotent(
  ctx: ServiceContext,
  call: KeyedCall,
  run: () => Promise<Answer>,
): Promise<Outcome> {
  const [id, fingerprint] = await Promise.all([
    recordId(call.principal, call.key),
    sha256Hex(`${call.operation}\n${fingerprintText(call.input)}`),
  ]);
  const store = storeOf(ctx, call);
  // Claim first, then look: a lookup that began before the claim could miss the record of a
  // request that finished in between. A key in flight is answered at once, without waiting for a
  // database that may be what holds the first request up.
  const claim = { id, holder: ctx.requestId, ms: claimMs(ctx) };
  if (!(await claimIdempotencyKey(ctx.env, call.principal, claim))) throw inProgress();
  try {
    const existing = await store.find(id);
    if (existing) return { answer: settle(ctx, existing, fingerprint), replayed: true };
    const write: KeyedWrite = {
      id,
      fingerprint,
      workspaceId: call.workspace?.row.id,
      written: false,
      writing: false,
      collided: false,
      closed: false,
    };
    let answer: Answer;
    try {
      answer = await withKeyedWrite(write, run);
    } finally {
      write.closed = true;
    }
    if (write.collided) {
      // Another request with this key committed first (the claim had lapsed or was lost).
      const winner = await store.find(id);
      if (!winner) throw inProgress();
      return { answer: settle(ctx, winner, fingerprint), replayed: true };
    }
    if (write.written || answer.status < 400) await keep(ctx, store, write, answer, call.shownOnce);
    return { answer, replayed: false };
  } finally {
    // Released before the answer goes out, so a repeat right after it finds the key free and
    // gets the stored answer; its own budget, as a rollback's, since the request's may be spent
    // (a failed release lapses with the claim).
    await withCleanupBudget(() => releaseIdempotencyKey(ctx.env, call.principal, claim)).catch(
      () => undefined,
    );
  }
}

/** What an existing record means for a repeat. */
function settle(ctx: ServiceContext, record: StoredRecord, fingerprint: string): Answer {
  if (record.fingerprint !== fingerprint) {
    throw new ApiError(
      "idempotency_mismatch",
      "This Idempotency-Key was already used for a different request; use a new key for a new request",
    );
  }
  if (record.status !== null) return JSON.parse(record.answer ?? "{}") as Answer;
  // Committed, no answer yet: still running, or it ended at its deadline after the commit.
  if (Date.now() - record.createdAt < ctx.config.REQUEST_TIMEOUT_MS) throw inProgress();
  throw new ApiError(
    "idempotency_committed",
    "The first request with this Idempotency-Key made its change, but its answer was lost (it passed its deadline); the change was not repeated. Read the resource to see it.",
    { details: { committedAt: record.createdAt } },
  );
}

const inProgress = () =>
  new ApiError(
    "idempotency_in_progress",
    "A request with this Idempotency-Key is still being processed; retry once it has answered",
    { headers: { "Retry-After": "1" } },
  );

/** The claim lasts as long as the request may: a request that died never holds its key longer. */
function claimMs(ctx: ServiceContext): number {
  const budget = currentBudget();
  const left = budget ? budget.deadlineAt - Date.now() : ctx.config.REQUEST_TIMEOUT_MS;
  return Math.max(1_000, Math.min(left, ctx.config.REQUEST_TIMEOUT_MS) + 1_000);
}

/** A stored answer at most this long; past it, a replay says so instead (rows stay the tenant's). */
export const MAX_STORED_ANSWER = 1_048_576;

/** The answer as the record keeps it: JSON bodies without the fields shown once, bounded. */
function storedAnswer(answer: Answer, shownOnce: readonly string[] = []): Answer {
  let kept = answer;
  if (shownOnce.length > 0 && answer.status < 400 && answer.body) {
    const body = JSON.parse(answer.body) as Record<string, unknown>;
    for (const field of shownOnce) delete body[field];
    kept = { ...answer, body: JSON.stringify(body) };
  }
  if (kept.body.length <= MAX_STORED_ANSWER) return kept;
  return {
    status: kept.status,
    contentType: "application/json",
    body: JSON.stringify({
      idempotency: {
        replayed: true,
        message: "The first answer was too large to keep; read the resource to see the result",
      },
    }),
  };
}

/**
 * Stores the answer: into the record the change committed, or (a change outside the record's
 * database, a control-only route) as a new record now. A store that fails leaves the change and
 * its answer standing: the caller still gets the answer, and a repeat learns the change was made.
 */
async function keep(
  ctx: ServiceContext,
  store: Store,
  write: KeyedWrite,
  answer: Answer,
  shownOnce?: readonly string[],
): Promise<void> {
  try {
    await store.keep(write, storedAnswer(answer, shownOnce));
  } catch (error) {
    ctx.logger.error("idempotency answer not stored", {
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/** What the fingerprint hashes: the input as canonical JSON (400 if too deeply nested to walk). */
function fingerprintText(input: unknown): string {
  try {
    return canonicalJson(input);
  } catch {
    throw new ApiError("invalid_request", "The request is nested too deeply to be keyed");
  }
}

interface Store {
  find(id: string): Promise<StoredRecord | undefined>;
  keep(write: KeyedWrite, answer: Answer): Promise<void>;
}

function storeOf(ctx: ServiceContext, call: KeyedCall): Store {
  const workspace = call.workspace;
  let opened: Promise<Client> | undefined;
  const client = (): Promise<Client> =>
    (opened ??= workspace
      ? (workspace.db?.() ?? tenantDb(ctx.config, workspace.row))
      : Promise.resolve(controlDb(ctx.config).$client));
  const table = workspace ? TENANT_TABLE : CONTROL_TABLE;
  return {
    async find(id) {
      return findRecord(await client(), table, id).catch((error: unknown) => {
        // A database the deploy has not migrated yet (`tenants migrate` adds the table): no key
        // can be kept there, so the write is refused rather than run unkeyed.
        if (error instanceof Error && /no such table/i.test(error.message)) {
          throw new ApiError("unavailable", "This database is being upgraded; retry shortly", {
            headers: { "Retry-After": "5" },
          });
        }
        throw error;
      });
    },
    async keep(write, answer) {
      const db = await client();
      const stored = JSON.stringify(answer);
      if (write.written) {
        await db.execute({
          sql: `UPDATE ${table} SET status = ?, answer = ? WHERE id = ?`,
          args: [answer.status, stored, write.id],
        });
        return;
      }
      const now = Date.now();
      await db.batch(
        [
          expireStatement(table, now),
          {
            sql: `INSERT INTO ${table} (id, fingerprint, created_at, status, answer) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
            args: [write.id, write.fingerprint, now, answer.status, stored],
          },
        ],
        "write",
      );
    },
  };
}

/** JSON with object keys sorted, so the same input always has the same fingerprint. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}
