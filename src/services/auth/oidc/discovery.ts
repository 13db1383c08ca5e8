import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from "jose";
import { z } from "zod";
import { ApiError } from "../../../lib/errors";
import { guardedFetch, outboundPolicy } from "../../../lib/outbound";
import type { ServiceContext } from "../../core/context";
import { outboundAllowed } from "../outbound";
import type { OidcProvider } from "./providers";

const FETCH_TIMEOUT_MS = 5_000;
const DISCOVERY_TTL_MS = 3_600_000;

/** The parts of OpenID Connect Discovery 1.0 §3 islet uses. */
const metadataSchema = z.object({
  issuer: z.string(),
  authorization_endpoint: z.url(),
  token_endpoint: z.url(),
  jwks_uri: z.url(),
  token_endpoint_auth_methods_supported: z.array(z.string()).optional(),
  id_token_signing_alg_values_supported: z.array(z.string()).optional(),
});
export type ProviderMetadata = z.output<typeof metadataSchema> & { jwks: JWTVerifyGetKey };

const cache = new Map<string, { at: number; metadata: ProviderMetadata }>();

export const upstreamError = (message: string) => new ApiError("upstream_error", message);

/** A guarded outbound URL: https only (loopback HTTP only with ISLET_INSECURE_LOCAL, tests). */
export function requireOutbound(ctx: ServiceContext, url: string, what: string): void {
  if (!outboundAllowed(ctx.config, url)) {
    ctx.logger.error("OIDC endpoint refused by the outbound rule", { what });
    throw new ApiError("misconfigured", "Sign-in provider is misconfigured");
  }
}

/**
 * The provider's metadata, cached per isolate for an hour. The document's `issuer` must be
 * exactly the configured one (Discovery §4.3), so a document cannot redirect trust elsewhere.
 */
export async function providerMetadata(
  ctx: ServiceContext,
  provider: OidcProvider,
): Promise<ProviderMetadata> {
  const cached = cache.get(provider.discoveryUrl);
  if (cached && Date.now() - cached.at < DISCOVERY_TTL_MS && cached.metadata.issuer === provider.issuer) {
    return cached.metadata;
  }
  requireOutbound(ctx, provider.discoveryUrl, "discovery");
  let body: unknown;
  try {
    const res = await guardedFetch(
      provider.discoveryUrl,
      { headers: { Accept: "application/json" }, timeoutMs: FETCH_TIMEOUT_MS, maxBytes: 256 * 1024 },
      outboundPolicy(ctx.config),
    );
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`status ${res.status}`);
    }
    body = await res.json();
  } catch (error) {
    ctx.logger.warn("OIDC discovery failed", {
      provider: provider.id,
      error: error instanceof Error ? error.message : String(error),
    });
    throw upstreamError("The sign-in provider could not be reached");
  }
  const parsed = metadataSchema.safeParse(body);
  if (!parsed.success || parsed.data.issuer.replace(/\/+$/, "") !== provider.issuer) {
    ctx.logger.error("OIDC discovery document rejected", { provider: provider.id });
    throw upstreamError("The sign-in provider's configuration is invalid");
  }
  const data = parsed.data;
  requireOutbound(ctx, data.authorization_endpoint, "authorization_endpoint");
  requireOutbound(ctx, data.token_endpoint, "token_endpoint");
  requireOutbound(ctx, data.jwks_uri, "jwks_uri");
  const metadata: ProviderMetadata = {
    ...data,
    jwks: createRemoteJWKSet(new URL(data.jwks_uri), {
      timeoutDuration: FETCH_TIMEOUT_MS,
      [customFetch]: (target, options) =>
        guardedFetch(
          target,
          { headers: options.headers, timeoutMs: FETCH_TIMEOUT_MS, maxBytes: 64 * 1024 },
          outboundPolicy(ctx.config),
        ),
    }),
  };
  cache.set(provider.discoveryUrl, { at: Date.now(), metadata });
  return metadata;
}
