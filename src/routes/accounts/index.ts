import { z } from "@hono/zod-openapi";
import { json, jsonBody, named, noContent, operation, router, securityOf } from "../../http/openapi";
import { workspaceParam } from "../../http/params";
import {
  ACCOUNTS_NEEDS,
  AccountResponse,
  ApiAccount,
  accountFetchBody,
  accountName,
  deleteAccount,
  fetchAccount,
  listAccounts,
  putAccount,
  putAccountBody,
} from "../../services/accounts";

const Account = named(ApiAccount, "ApiAccount");
const nameParam = workspaceParam.extend({ name: accountName });
const tags = ["API accounts"];
const security = securityOf(ACCOUNTS_NEEDS.manage);

/** Stored upstreams with a server-side credential, under /v1/workspaces/:workspaceId/accounts. */
export const accountsRoutes = router()
  .openapi(
    operation({
      operationId: "listApiAccounts",
      method: "get",
      path: "/",
      tags,
      security: securityOf(ACCOUNTS_NEEDS.use),
      summary: "List API accounts (never their credentials)",
      request: { params: workspaceParam },
      responses: { 200: json(z.object({ accounts: z.array(Account) }), "Accounts") },
    }),
    async (c) =>
      c.json({ accounts: await listAccounts({ ctx: c.var.ctx, input: c.req.valid("param") }) }, 200),
  )
  .openapi(
    operation({
      operationId: "putApiAccount",
      method: "put",
      path: "/{name}",
      tags,
      security,
      summary: "Create or replace an API account (its header value is write-only)",
      request: {
        params: nameParam,
        body: jsonBody(putAccountBody, true, {
          baseUrl: "https://api.example.com",
          authHeaderName: "Authorization",
          authHeaderValue: "Bearer sk_example",
        }),
      },
      responses: { 200: json(z.object({ account: Account }), "The account") },
    }),
    async (c) => {
      const input = { ...c.req.valid("param"), ...c.req.valid("json") };
      return c.json({ account: await putAccount({ ctx: c.var.ctx, input }) }, 200);
    },
  )
  .openapi(
    operation({
      operationId: "deleteApiAccount",
      method: "delete",
      path: "/{name}",
      tags,
      security,
      summary: "Delete an API account",
      request: { params: nameParam },
      responses: { 204: noContent("Deleted") },
    }),
    async (c) => {
      await deleteAccount({ ctx: c.var.ctx, input: c.req.valid("param") });
      return c.body(null, 204);
    },
  )
  .openapi(
    operation({
      operationId: "callApiAccount",
      method: "post",
      path: "/{name}/fetch",
      tags,
      security: securityOf(ACCOUNTS_NEEDS.use),
      summary: "Call the account's upstream with its credential injected server-side",
      description:
        "The path is joined below the account's base URL; callers cannot set the credential's header or hop-by-hop headers. 1 MiB and 10 s at most; audited.",
      request: {
        params: nameParam,
        body: jsonBody(accountFetchBody, true, {
          method: "GET",
          path: "/v1/things",
          query: { limit: "10" },
          headers: { Accept: "application/json" },
        }),
      },
      responses: { 200: json(named(AccountResponse, "AccountResponse"), "The upstream's answer") },
      errors: [502],
    }),
    async (c) => {
      const input = { ...c.req.valid("param"), ...c.req.valid("json") };
      return c.json(await fetchAccount({ ctx: c.var.ctx, input }), 200);
    },
  );
