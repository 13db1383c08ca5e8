import { type Client, createClient } from "@libsql/client/web";

/**
 * Builds a libSQL HTTP client. Local devdb namespaces are addressed like sqld's, by the first
 * host label (`http://<ns>.localhost:<port>`); Workers cannot resolve `*.localhost`, so such URLs
 * are sent to 127.0.0.1 with the namespace in the `x-namespace` header. This is only reachable
 * with `ISLET_INSECURE_LOCAL=1` outside production (src/env.ts refuses plain HTTP otherwise).
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
      fetch: (request: Request) => {
        const headers = new Headers(request.headers);
        headers.set("x-namespace", namespace);
        return fetch(new Request(request, { headers }));
      },
    });
  }
  return createClient({ url, authToken, intMode: "number" });
}
