import { and, eq, gt } from "drizzle-orm";
import { jwtVerify } from "jose";
import { controlDb } from "../../../db/control/client";
import { oidcStates } from "../../../db/control/schema";
import { randomToken, sha256Hex, timingSafeEqual } from "../../../lib/crypto";
import { bytesToBase64Url, utf8 } from "../../../lib/encoding";
import { ApiError } from "../../../lib/errors";
import { guardedFetch, outboundPolicy } from "../../../lib/outbound";
import { DEFAULT_REGION, type Region } from "../../../lib/tenancy";
import { parseInput, type ServiceArgs, type ServiceContext } from "../../core/context";
import { limitIp } from "../limits";
import { oidcCallbackInput, oidcStartInput } from "../schemas";
import { securityEvent } from "../security-log";
import { type IssuedSession, startSession } from "../sessions";
import { providerMetadata, upstreamError } from "./discovery";
import { resolveOidcUser } from "./link";
import { type OidcProvider, oidcProvider, redirectUri } from "./providers";

const STATE_TTL_MS = 10 * 60_000;
const TOKEN_TIMEOUT_MS = 10_000;
/** ID tokens must be signed with the provider's keys, never with a shared secret (no HS*). */
const ID_TOKEN_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"];

/**
 * The PKCE verifier (RFC 7636) and the nonce are derived from the state with a server key
 * (HMAC-SHA256, labelled apart from the access-token signatures), so nothing secret is stored
 * and a leaked state alone yields neither.
 */
async function derive(ctx: ServiceContext, label: "pkce" | "nonce", state: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    utf8(ctx.config.SESSION_JWT_SECRET),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, utf8(`islet-oidc|${label}|${state}`));
  return bytesToBase64Url(new Uint8Array(mac));
}

export interface OidcStart {
  redirectUrl: string;
  /** Bound to the browser in the `__Host-islet_oidc` cookie; the callback must present it. */
  state: string;
}

/** Starts authorization code + PKCE (S256) + state + nonce (OIDC Core §3.1.2.1). */
export async function startOidc({
  ctx,
  input: raw,
}: ServiceArgs<{ provider: string; returnTo: string; region?: Region }>): Promise<OidcStart> {
  const input = parseInput(oidcStartInput, raw);
  await limitIp(ctx, "oidc");
  const provider = oidcProvider(ctx, input.provider);
  const metadata = await providerMetadata(ctx, provider);
  const state = randomToken();
  const now = Date.now();
  await controlDb(ctx.config)
    .insert(oidcStates)
    .values({
      stateHash: await sha256Hex(state),
      provider: provider.id,
      returnTo: input.returnTo,
      region: input.region ?? null,
      createdAt: now,
      expiresAt: now + STATE_TTL_MS,
    });
  const challenge = bytesToBase64Url(
    new Uint8Array(await crypto.subtle.digest("SHA-256", utf8(await derive(ctx, "pkce", state)))),
  );
  const url = new URL(metadata.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: provider.clientId,
    redirect_uri: redirectUri(ctx, provider),
    scope: provider.scopes,
    state,
    nonce: await derive(ctx, "nonce", state),
    code_challenge: challenge,
    code_challenge_method: "S256",
  }).toString();
  return { redirectUrl: url.toString(), state };
}

export interface OidcCallbackInput {
  provider: string;
  code?: string;
  state?: string;
  error?: string;
  /** RFC 9207 authorization-server issuer identifier, when the provider sends it. */
  iss?: string;
  /** The `__Host-islet_oidc` cookie set by start. */
  cookieState?: string;
}

/**
 * Finishes sign-in: the state must match this browser's cookie and a pending, unexpired
 * authorization (single use); the code is exchanged with the PKCE verifier; the ID token is
 * verified against the provider's JWKS (signature, alg, iss, aud, exp, nonce) and must carry a
 * provider-verified email. Returns a new session and where to send the browser.
 */
export async function finishOidc({
  ctx,
  input: raw,
}: ServiceArgs<OidcCallbackInput>): Promise<{ session: IssuedSession; returnTo: string; created: boolean }> {
  const input = parseInput(oidcCallbackInput, raw);
  await limitIp(ctx, "oidc");
  const provider = oidcProvider(ctx, input.provider);
  if (!input.state || !input.cookieState || !timingSafeEqual(input.state, input.cookieState)) {
    throw new ApiError("csrf_failed", "Sign-in state does not match this browser");
  }
  const [pending] = await controlDb(ctx.config)
    .delete(oidcStates)
    .where(and(eq(oidcStates.stateHash, await sha256Hex(input.state)), gt(oidcStates.expiresAt, Date.now())))
    .returning();
  if (!pending || pending.provider !== provider.id) {
    throw new ApiError("invalid_token", "This sign-in attempt has expired; start again");
  }
  if (input.error || !input.code) {
    await securityEvent(ctx, "auth.oidc_failed", {
      details: { provider: provider.id, reason: "provider_error" },
    });
    throw new ApiError("unauthorized", "Sign-in was cancelled or refused by the provider");
  }
  const metadata = await providerMetadata(ctx, provider);
  // RFC 9207 §2.4: a response naming another issuer is a mix-up attack; refuse it.
  if (input.iss !== undefined && input.iss !== metadata.issuer) {
    await securityEvent(ctx, "auth.oidc_failed", {
      details: { provider: provider.id, reason: "issuer_mismatch" },
    });
    throw new ApiError("unauthorized", "The sign-in response came from an unexpected issuer");
  }
  const idToken = await exchangeCode(
    ctx,
    provider,
    metadata,
    input.code,
    await derive(ctx, "pkce", input.state),
  );
  const allowed = ID_TOKEN_ALGS.filter(
    (alg) => metadata.id_token_signing_alg_values_supported?.includes(alg) ?? alg === "RS256",
  );
  let claims: Record<string, unknown>;
  try {
    ({ payload: claims } = await jwtVerify(idToken, metadata.jwks, {
      algorithms: allowed.length > 0 ? allowed : ["RS256"],
      issuer: metadata.issuer,
      audience: provider.clientId,
      requiredClaims: ["sub", "iat", "exp"],
      clockTolerance: 60,
    }));
  } catch (error) {
    await securityEvent(ctx, "auth.oidc_failed", { details: { provider: provider.id, reason: "id_token" } });
    ctx.logger.warn("OIDC id_token rejected", {
      provider: provider.id,
      error: error instanceof Error ? error.name : "",
    });
    throw new ApiError("unauthorized", "The provider's identity token could not be verified");
  }
  const expectedNonce = await derive(ctx, "nonce", input.state);
  const multipleAudiences = Array.isArray(claims.aud) && claims.aud.length > 1;
  if (
    typeof claims.nonce !== "string" ||
    !timingSafeEqual(claims.nonce, expectedNonce) ||
    (multipleAudiences && claims.azp !== provider.clientId)
  ) {
    await securityEvent(ctx, "auth.oidc_failed", { details: { provider: provider.id, reason: "nonce" } });
    throw new ApiError("unauthorized", "The provider's identity token could not be verified");
  }
  const verified = claims.email_verified === true || claims.email_verified === "true";
  if (typeof claims.email !== "string" || !verified) {
    await securityEvent(ctx, "auth.oidc_failed", {
      details: { provider: provider.id, reason: "email_unverified" },
    });
    throw new ApiError("forbidden", "The provider has not verified this account's email address");
  }
  const { user, created } = await resolveOidcUser(ctx, {
    provider: provider.id,
    subject: String(claims.sub),
    email: claims.email,
    name: typeof claims.name === "string" ? claims.name : null,
    region: (pending.region as Region | null) ?? DEFAULT_REGION,
  });
  const session = await startSession(ctx, user.id);
  await securityEvent(ctx, "auth.login", {
    subjectUserId: user.id,
    details: { sessionId: session.sessionId, method: `oidc:${provider.id}` },
  });
  return { session, returnTo: pending.returnTo, created };
}

/** Token request (OIDC Core §3.1.3.1) with client_secret_basic unless only _post is offered. */
async function exchangeCode(
  ctx: ServiceContext,
  provider: OidcProvider,
  metadata: { token_endpoint: string; token_endpoint_auth_methods_supported?: string[] },
  code: string,
  verifier: string,
): Promise<string> {
  const form = new URLSearchParams({
    grant_type: "authorization_code",
    code,
    redirect_uri: redirectUri(ctx, provider),
    code_verifier: verifier,
  });
  const headers: Record<string, string> = {
    "Content-Type": "application/x-www-form-urlencoded",
    Accept: "application/json",
  };
  const methods = metadata.token_endpoint_auth_methods_supported ?? ["client_secret_basic"];
  if (methods.includes("client_secret_basic") || !methods.includes("client_secret_post")) {
    // RFC 6749 §2.3.1: both parts form-urlencoded before Basic encoding.
    const basic = `${encodeURIComponent(provider.clientId)}:${encodeURIComponent(provider.clientSecret)}`;
    headers.Authorization = `Basic ${btoa(basic)}`;
  } else {
    form.set("client_id", provider.clientId);
    form.set("client_secret", provider.clientSecret);
  }
  let body: { id_token?: unknown };
  try {
    const res = await guardedFetch(
      metadata.token_endpoint,
      // The client secret (Basic or in the form) never follows a redirect to another origin.
      {
        method: "POST",
        headers,
        body: form,
        timeoutMs: TOKEN_TIMEOUT_MS,
        maxBytes: 256 * 1024,
        secretBody: true,
      },
      outboundPolicy(ctx.config),
    );
    if (!res.ok) {
      await res.body?.cancel();
      await securityEvent(ctx, "auth.oidc_failed", {
        details: { provider: provider.id, reason: `token_${res.status}` },
      });
      throw new ApiError("unauthorized", "The provider refused the sign-in code");
    }
    body = (await res.json()) as { id_token?: unknown };
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw upstreamError("The sign-in provider could not be reached");
  }
  if (typeof body.id_token !== "string")
    throw upstreamError("The sign-in provider returned no identity token");
  return body.id_token;
}
