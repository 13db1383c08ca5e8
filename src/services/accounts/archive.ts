// API accounts in the workspace archive (src/services/core/archive.ts): one `account` line each,
// its upstream without the auth header's value. Whoever imports may add `authHeaderValue`; an
// import stores those it has through `putAccount` and reports the rest as missing.
import { z } from "zod";
import { type ArchiveSection, deleteMade, onlyOnce, SetAndMissing } from "../core/archive";
import { checkedTargetUrl } from "../outbound";
import { listAccounts, putAccount } from ".";
import { accountName, putAccountBody } from "./schemas";

const accountLine = z.object({
  type: z.literal("account"),
  account: z.object({
    name: accountName,
    baseUrl: putAccountBody.shape.baseUrl,
    authHeaderName: putAccountBody.shape.authHeaderName,
  }),
  /** Added by whoever imports: without it, the account is reported as missing, not created. */
  authHeaderValue: putAccountBody.shape.authHeaderValue.optional(),
});
type Line = z.infer<typeof accountLine>;

export const accountsArchive: ArchiveSection<Line, Line[], { accounts: SetAndMissing }> = {
  lines: { account: accountLine },
  limit: 200,
  noun: "API accounts",
  // Archives made before accounts were exported have no such count.
  countMayBeAbsent: true,
  async *export(ctx, workspaceId) {
    for (const account of await listAccounts({ ctx, input: { workspaceId } }))
      yield { type: "account", account };
  },
  plan() {
    const accounts: Line[] = [];
    const once = onlyOnce("API account");
    return {
      add(line, at) {
        once(line.account.name, at);
        accounts.push(line);
      },
      done: () => accounts,
    };
  },
  held: { table: "_islet_api_accounts" },
  async precheck({ ctx }, plan) {
    for (const entry of plan) {
      if (entry.authHeaderValue) await checkedTargetUrl(ctx.config, "baseUrl", entry.account.baseUrl);
    }
  },
  async apply({ ctx, access }, plan, made) {
    const accounts: SetAndMissing = { set: [], missing: [] };
    for (const { account, authHeaderValue } of plan) {
      if (authHeaderValue === undefined) {
        accounts.missing.push(account.name);
        continue;
      }
      made.push(account.name);
      await putAccount({ ctx, input: { workspaceId: access.workspace.id, ...account, authHeaderValue } });
      accounts.set.push(account.name);
    }
    return { accounts };
  },
  undo: { statements: deleteMade("_islet_api_accounts", "name") },
  /** API accounts need their header values: those the archive did not supply are `missing`. */
  result: { accounts: SetAndMissing },
  audited: (result) => ({ accounts: result.accounts.set.length }),
};
