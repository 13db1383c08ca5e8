import { type Client, createClient } from "@libsql/client/web";
import { currentBudget, DEFAULT_STATEMENT_MS, withDeadline } from "../lib/deadline";

type Fetch = (request: Request) => Promise<Response>;

/**
 * Every round trip to a database within the statement deadline and what the request has left
 * (src/lib/deadline.ts): the response is read whole inside it, so a server that stops midway
 * cannot hold the caller either. The aborted request's transaction, if any, is rolled back by the
 * server when its stream expires (Hrana over HTTP: the baton died with the request).
 */
function bounded(inner: Fetch): Fetch {
  return (request) =>
    withDeadline("database", currentBudget()?.statementMs ?? DEFAULT_STATEMENT_MS, async (signal) => {
      const res = await inner(new Request(request, { signal }));
      return new Response(await res.arrayBuffer(), res);
    });
}

/**
 * Builds a libSQL HTTP client. Local devdb namespaces are addressed like sqld's, by the first
 * host label (`http://<ns>.localhost:<port>`); Workers cannot resolve `*.localhost`, so such URLs
 * are sent to 127.0.0.1 with the namespace in the `x-namespace` header. This is only reachable
 * with `ISLET_INSECURE_LOCAL=1` outside production (src/config.ts refuses plain HTTP otherwise).
 */
export function libsqlClient(url: string, authToken: string | undefined): Client {
  const parsed = new URL(url.replace(/^libsql:/, "https:"));
  const local = /^(.+)\.localhost$/.exec(parsed.hostname);
  if (parsed.protocol === "http:" && local) {
    const namespace = local[1] as string;
    const target = `http://127.0.0.1:${parsed.port}`;
    return createClient({
      url: target,
      authToken,
      intMode: "number",
      fetch: bounded((request) => {
        const headers = new Headers(request.headers);
        headers.set("x-namespace", namespace);
        return fetch(new Request(request, { headers, redirect: "manual" }));
      }),
    });
  }
  // The database token goes to the database's own URL only: a redirect is an error, never followed.
  return createClient({
    url,
    authToken,
    intMode: "number",
    fetch: bounded((request) => fetch(new Request(request, { redirect: "manual" }))),
  });
}
