import { eq } from "drizzle-orm";
import { systemDb } from "../../db/tenant/client";
import { apiAccounts } from "../../db/tenant/schema";
import { decryptSecret, encryptSecret, importKeyring, type SecretBinding } from "../../lib/crypto";
import { bytesToBase64 } from "../../lib/encoding";
import { ApiError } from "../../lib/errors";
import { guardedFetch, OutboundRefused, outboundPolicy } from "../../lib/outbound";
import { scrubberFor } from "../../lib/scrub";
import { commitWithAudit, recordAudit } from "../audit";
import { authorizeWorkspace, type WorkspaceAccess } from "../core/access";
import { assertRoomFor } from "../core/caps";
import { parseInput, type ServiceArgs, type ServiceContext } from "../core/context";
import { checkedTargetUrl, outboundRefusal } from "../outbound";
import { creatorIdOf, disableArrangement, standingFor } from "../standing";
import { requireVerifiedActor } from "../verified";
import { accountHeaders, joinAccountPath, returnedHeaders } from "./proxy";
import {
  ACCOUNTS_NEEDS,
  type AccountResponse,
  type ApiAccount,
  accountFetchInput,
  accountTarget,
  putAccountInput,
  workspaceScoped,
} from "./schemas";

export * from "./schemas";

/** Upstream answers are capped (architecture §7): 1 MiB, 10 s. */
export const ACCOUNT_MAX_BYTES = 1024 * 1024;
export const ACCOUNT_TIMEOUT_MS = 10_000;

const binding = (workspaceId: string, name: string): SecretBinding => ({
  workspaceId,
  kind: "api_account",
  recordId: name,
});

/**
 * Managing accounts is managing credentials: admins, or keys with `secrets:write`. Nobody else, and
 * never a workspace's end users: an app's users do not drive the workspace's upstream credentials.
 */
const manage = ACCOUNTS_NEEDS.manage;
/** Calling one uses the credential without seeing it, as running a function does (members and keys). */
const use = ACCOUNTS_NEEDS.use;

const view = (row: typeof apiAccounts.$inferSelect): ApiAccount => ({
  name: row.name,
  baseUrl: row.baseUrl,
  authHeaderName: row.authHeaderName,
  last4: row.last4,
  createdBy: row.createdBy,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
  enabled: row.disabledAt === null,
  disabledReason: row.disabledReason,
});

/** Who acts when islet itself stops an account: the audit log says so, not the caller who noticed. */
const islet = { type: "system", reason: "creator authority ended" } as const;

/**
 * An account calls out with its creator's authority (architecture §3): before every call, its creator
 * must still be able to set it up. If not, it is disabled (audited, its reason shown to admins),
 * and the call refused, so a missed cleanup still sends nothing.
 */
async function assertStanding(
  ctx: ServiceContext,
  access: WorkspaceAccess,
  row: typeof apiAccounts.$inferSelect,
): Promise<void> {
  let reason = row.disabledReason ?? "it was disabled";
  if (row.disabledAt === null) {
    const arrangement = { createdBy: row.createdBy, since: row.authorizedAt ?? row.createdAt };
    const standing = await standingFor(ctx, access.workspace.id, arrangement, manage);
    if (standing.ok) return;
    reason = standing.reason;
    const system = { ...ctx, actor: islet };
    await disableArrangement(system, access, "api_account", row.name, reason);
  }
  throw new ApiError("forbidden", `API account ${row.name} is disabled: ${reason}`, {
    details: { account: row.name, disabledReason: reason },
  });
}

/** Creates or replaces an API account; its header value is stored encrypted and never returned. */
export async function putAccount({
  ctx,
  input: raw,
}: ServiceArgs<{
  workspaceId: string;
  name: string;
  baseUrl: string;
  authHeaderName: string;
  authHeaderValue: string;
}>): Promise<ApiAccount> {
  const input = parseInput(putAccountInput, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, manage);
  // Its base URL is its creator's choice, and it answers to them from now on.
  const createdBy = creatorIdOf(ctx.actor);
  if (createdBy === null)
    throw new ApiError("forbidden", "Only members and their API keys set up API accounts");
  await requireVerifiedActor(ctx);
  const baseUrl = await checkedTargetUrl(ctx.config, "baseUrl", input.baseUrl);
  if (new URL(baseUrl).search || new URL(baseUrl).hash) {
    throw new ApiError("invalid_request", "baseUrl must not carry a query or fragment", {
      details: { field: "baseUrl" },
    });
  }
  const keyring = await importKeyring(ctx.config.ISLET_KEYRING);
  const envelope = await encryptSecret(
    keyring,
    input.authHeaderValue,
    binding(access.workspace.id, input.name),
  );
  const now = Date.now();
  const row = {
    name: input.name,
    baseUrl,
    authHeaderName: input.authHeaderName,
    authHeaderEnc: envelope,
    last4: input.authHeaderValue.slice(-4),
    createdBy,
    createdAt: now,
    updatedAt: now,
    authorizedAt: now,
    disabledAt: null,
    disabledReason: null,
  };
  await commitWithAudit(
    ctx,
    await access.db(),
    // Counted under the write lock (replacing an account is not a create): parallel puts cannot
    // pass the plan's cap.
    async (tx) => {
      await assertRoomFor(tx, access.workspace.plan, "api_accounts", input.name);
      return [
        {
          sql: `INSERT INTO _islet_api_accounts (name, base_url, auth_header_name, auth_header_enc, last4, created_by, created_at, updated_at, authorized_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET base_url = excluded.base_url, auth_header_name = excluded.auth_header_name,
                auth_header_enc = excluded.auth_header_enc, last4 = excluded.last4, updated_at = excluded.updated_at,
                created_by = excluded.created_by, authorized_at = excluded.authorized_at,
                disabled_at = NULL, disabled_reason = NULL`,
          args: [
            row.name,
            row.baseUrl,
            row.authHeaderName,
            row.authHeaderEnc,
            row.last4,
            row.createdBy,
            now,
            now,
            now,
          ],
        },
      ];
    },
    [{ action: "account.put", targetType: "api_account", targetId: input.name, details: { baseUrl } }],
  );
  return view(row);
}

export async function listAccounts({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string }>): Promise<ApiAccount[]> {
  const input = parseInput(workspaceScoped, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, use);
  const rows = await systemDb(await access.db())
    .select()
    .from(apiAccounts)
    .orderBy(apiAccounts.name);
  return rows.map(view);
}

export async function deleteAccount({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; name: string }>): Promise<void> {
  const input = parseInput(accountTarget, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, manage);
  const [result] = await commitWithAudit(
    ctx,
    await access.db(),
    [{ sql: "DELETE FROM _islet_api_accounts WHERE name = ?", args: [input.name] }],
    [{ action: "account.delete", targetType: "api_account", targetId: input.name }],
  );
  if (result?.rowsAffected === 0) throw new ApiError("not_found", `Account ${input.name} does not exist`);
}

/** A text body's charset, when it declares one other than UTF-8 (which is what is handed back). */
function otherCharset(type: string): string | undefined {
  const charset = /;\s*charset="?([\w-]+)"?/i.exec(type)?.[1]?.toLowerCase();
  return charset === undefined || charset === "utf-8" || charset === "utf8" || charset === "us-ascii"
    ? undefined
    : charset;
}

/** A text body in the charset it declares (UTF-16 included), else UTF-8; handed back as UTF-8. */
function decodeText(bytes: Uint8Array, charset: string | undefined): string {
  try {
    return new TextDecoder(charset ?? "utf-8").decode(bytes);
  } catch {
    return new TextDecoder().decode(bytes);
  }
}

const TEXTUAL = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i;

/**
 * Calls the account's upstream with its credential injected server-side (architecture §7): the path is
 * joined below the base URL, the caller cannot touch the credential or hop-by-hop headers, the
 * target goes through the outbound guard, and the answer is capped (1 MiB, 10 s) and scrubbed of
 * the credential. Audited (account, method, path, status), never with headers or bodies.
 */
export async function fetchAccount({
  ctx,
  input: raw,
}: ServiceArgs<{
  workspaceId: string;
  name: string;
  method: string;
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: unknown;
}>): Promise<AccountResponse> {
  const input = parseInput(accountFetchInput, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, use);
  const db = await access.db();
  const [row] = await systemDb(db).select().from(apiAccounts).where(eq(apiAccounts.name, input.name));
  if (!row) throw new ApiError("not_found", `Account ${input.name} does not exist`);
  await assertStanding(ctx, access, row);
  const keyring = await importKeyring(ctx.config.ISLET_KEYRING);
  const value = await decryptSecret(keyring, row.authHeaderEnc, binding(access.workspace.id, row.name));
  const target = joinAccountPath(row.baseUrl, input.path, input.query);
  const headers = accountHeaders(input.headers, { name: row.authHeaderName, value });
  let body: string | undefined;
  if (input.body !== undefined && input.method !== "GET" && input.method !== "HEAD") {
    body = typeof input.body === "string" ? input.body : JSON.stringify(input.body);
    if (typeof input.body !== "string" && !headers.has("Content-Type"))
      headers.set("Content-Type", "application/json");
  }
  const started = performance.now();
  let res: Response;
  try {
    res = await guardedFetch(
      target,
      {
        method: input.method,
        headers,
        ...(body === undefined ? {} : { body }),
        timeoutMs: ACCOUNT_TIMEOUT_MS,
        maxBytes: ACCOUNT_MAX_BYTES,
        // Its credential never follows a redirect off the base URL's origin: the 3xx is the answer.
        credentialHeaders: [row.authHeaderName],
      },
      outboundPolicy(ctx.config),
    );
  } catch (error) {
    await audit(input.path, 0);
    if (error instanceof OutboundRefused) throw outboundRefusal("target", error);
    throw new ApiError("upstream_error", "The upstream could not be reached in time");
  }
  await audit(input.path, res.status);
  const scrub = scrubberFor([value]);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const type = res.headers.get("Content-Type") ?? "";
  const textual = bytes.length === 0 || TEXTUAL.test(type);
  // A binary answer that carries the credential (in any case, UTF-8 or UTF-16) cannot be scrubbed
  // safely: it is not handed back. Latin-1 maps each byte to one character, so every ASCII form
  // shows (UTF-16's with a NUL between characters); UTF-8 shows the rest.
  // A text body labelled with another charset is checked as bytes too: a label that does not match
  // the bytes (UTF-8 called UTF-16) would hide the credential from the scrub of the decoded text.
  const charset = otherCharset(type);
  const views = !textual || charset !== undefined ? [new TextDecoder("latin1"), new TextDecoder()] : [];
  const leaks = (view: string) => scrub.text(view) !== view;
  if (views.some((decoder) => leaks(decoder.decode(bytes)))) {
    throw new ApiError("upstream_error", "The upstream answered with the account's credential");
  }
  const returned = returnedHeaders(res.headers);
  for (const name of Object.keys(returned)) returned[name] = scrub.text(returned[name] as string);
  return {
    status: res.status,
    headers: returned,
    body: textual ? scrub.text(decodeText(bytes, charset)) : bytesToBase64(bytes),
    encoding: textual ? "utf8" : "base64",
  };

  async function audit(path: string, status: number) {
    await recordAudit(ctx, db, {
      action: "account.fetch",
      targetType: "api_account",
      targetId: input.name,
      details: { method: input.method, path, status, durationMs: Math.round(performance.now() - started) },
    });
  }
}
