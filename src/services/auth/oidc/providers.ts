import { z } from "zod";
import { ApiError } from "../../../lib/errors";
import type { ServiceContext } from "../../core/context";

/**
 * OIDC sign-in providers (architecture §3), from two Worker settings:
 * - `OIDC_PROVIDERS` (var): JSON array of `{ id, clientId, issuer?, discoveryUrl?, preset? }`.
 *   `preset: "google"` (or `id: "google"`) fills in Google's issuer. Any other issuer is found
 *   by discovery at `<issuer>/.well-known/openid-configuration` unless `discoveryUrl` is set.
 * - `OIDC_CLIENT_SECRETS` (secret): JSON object `{ "<id>": "<client secret>" }`.
 */
export interface OidcProvider {
  id: string;
  issuer: string;
  discoveryUrl: string;
  clientId: string;
  clientSecret: string;
  scopes: string;
}

const PRESETS: Record<string, { issuer: string }> = {
  google: { issuer: "https://accounts.google.com" },
};

const providerSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/),
  clientId: z.string().min(1),
  issuer: z.url().optional(),
  discoveryUrl: z.url().optional(),
  preset: z.enum(["google"]).optional(),
  scopes: z.string().default("openid email profile"),
});
const providersSchema = z.array(providerSchema).max(20);
const secretsSchema = z.record(z.string(), z.string().min(1));

const cache = new WeakMap<object, Map<string, OidcProvider> | string>();

/** What is wrong with the OIDC settings, if anything (never a value); `islet doctor` reports it. */
export function oidcProblem(env: Record<string, unknown>): string | undefined {
  const parsed = parse(env);
  return typeof parsed === "string" ? parsed : undefined;
}

function parse(env: Record<string, unknown>): Map<string, OidcProvider> | string {
  const rawProviders = typeof env.OIDC_PROVIDERS === "string" ? env.OIDC_PROVIDERS : "[]";
  const rawSecrets = typeof env.OIDC_CLIENT_SECRETS === "string" ? env.OIDC_CLIENT_SECRETS : "{}";
  let providers: z.output<typeof providersSchema>;
  let secrets: Record<string, string>;
  try {
    providers = providersSchema.parse(JSON.parse(rawProviders));
    secrets = secretsSchema.parse(JSON.parse(rawSecrets));
  } catch {
    // Never echo the settings: OIDC_CLIENT_SECRETS is a secret.
    return "OIDC_PROVIDERS or OIDC_CLIENT_SECRETS is not valid JSON of the documented shape";
  }
  const out = new Map<string, OidcProvider>();
  for (const p of providers) {
    const issuer = (p.issuer ?? PRESETS[p.preset ?? p.id]?.issuer)?.replace(/\/+$/, "");
    const clientSecret = secrets[p.id];
    if (!issuer) return `OIDC provider ${p.id} has no issuer`;
    if (!clientSecret) return `OIDC provider ${p.id} has no client secret in OIDC_CLIENT_SECRETS`;
    out.set(p.id, {
      id: p.id,
      issuer,
      discoveryUrl: p.discoveryUrl ?? `${issuer}/.well-known/openid-configuration`,
      clientId: p.clientId,
      clientSecret,
      scopes: p.scopes,
    });
  }
  return out;
}

function providersOf(ctx: ServiceContext): Map<string, OidcProvider> | string {
  let providers = cache.get(ctx.env);
  if (providers === undefined) {
    providers = parse(ctx.env);
    cache.set(ctx.env, providers);
    if (typeof providers === "string") ctx.logger.error("OIDC is misconfigured", { problem: providers });
  }
  return providers;
}

/** The configured sign-in providers' ids, for a sign-in page's buttons (none if misconfigured). */
export function oidcProviderIds(ctx: ServiceContext): string[] {
  const providers = providersOf(ctx);
  return typeof providers === "string" ? [] : [...providers.keys()];
}

export function oidcProvider(ctx: ServiceContext, id: string): OidcProvider {
  const providers = providersOf(ctx);
  if (typeof providers === "string")
    throw new ApiError("misconfigured", "Sign-in providers are misconfigured");
  const provider = providers.get(id);
  if (!provider) throw new ApiError("not_found", "Unknown sign-in provider");
  return provider;
}

/** Where the provider sends the browser back (registered with the provider as is). */
export const redirectUri = (ctx: ServiceContext, provider: OidcProvider) =>
  `${ctx.config.PUBLIC_URL.replace(/\/+$/, "")}/v1/auth/oidc/${provider.id}/callback`;
