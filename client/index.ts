// A typed islet client: `openapi-fetch` over the types `npm run client` generates from
// /openapi.json. Paths, parameters, bodies and responses are all checked by TypeScript.
import createClient, { type ClientOptions } from "openapi-fetch";
import type { components, paths } from "./islet";

export type { components, paths };
export type IsletError = components["schemas"]["Error"];

/**
 * islet's query strings: nested objects as brackets (`filter[col][op]=value`, OpenAPI deepObject),
 * arrays as comma lists (`fields=a,b`). openapi-fetch serializes only one level by itself.
 */
export function isletQuery(query: Record<string, unknown>): string {
  const params = new URLSearchParams();
  const add = (key: string, value: unknown) => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) params.append(key, value.join(","));
    else if (typeof value === "object") {
      for (const [k, v] of Object.entries(value)) add(`${key}[${k}]`, v);
    } else params.append(key, String(value));
  };
  for (const [key, value] of Object.entries(query)) add(key, value);
  return params.toString();
}

/** `token`: an API key (`isk_…`), an access token, or an end-user token of the workspace. */
export function isletClient(baseUrl: string, token?: string, options: Omit<ClientOptions, "baseUrl"> = {}) {
  return createClient<paths>({
    querySerializer: isletQuery,
    ...options,
    baseUrl,
    headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(options.headers as object) },
  });
}
