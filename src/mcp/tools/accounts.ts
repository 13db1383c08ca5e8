import { z } from "zod";
import {
  ACCOUNTS_NEEDS,
  AccountResponse,
  ApiAccount,
  accountFetchInput,
  fetchAccount,
  listAccounts,
  workspaceScoped,
} from "../../services/accounts";
import { readOnly, tool, withoutWorkspace } from "../tool";

const { use } = ACCOUNTS_NEEDS;

/** API accounts: an agent calls an upstream by the account's name, never seeing its credential. */
export const accountTools = [
  tool({
    name: "list_accounts",
    title: "List API accounts",
    description: "The workspace's stored upstreams: names, base URLs, header names; never credentials.",
    rest: { operationId: "listApiAccounts" },
    need: use,
    input: withoutWorkspace(workspaceScoped),
    output: z.object({ accounts: z.array(ApiAccount) }),
    annotations: readOnly,
    run: async (ctx, input) => ({ accounts: await listAccounts({ ctx, input }) }),
  }),
  tool({
    name: "call_account",
    title: "Call an API account",
    description:
      "Sends a request below the account's base URL with its credential injected by islet; the answer (1 MiB, 10 s at most) comes back scrubbed of the credential.",
    rest: { operationId: "callApiAccount" },
    need: use,
    input: withoutWorkspace(accountFetchInput),
    output: AccountResponse,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    run: (ctx, input) => fetchAccount({ ctx, input }),
  }),
];
