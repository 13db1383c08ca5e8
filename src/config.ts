import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils.js";
import { z } from "zod";
import { LOCAL_ONLY_PLANS, PLAN_IDS, type PlanId } from "./lib/plans";

/**
 * The Worker's bindings as wrangler delivers them, typed by `npm run types` (wrangler types →
 * worker-configuration.d.ts, from wrangler.toml and .dev.vars.example): vars and secrets are
 * strings, the rest Cloudflare objects. Any may be missing at run time, so all are optional
 * here; `parseConfig` turns the strings into a checked `Config`.
 */
export type Bindings = Partial<Env>;

const flag = z
  .enum(["0", "1", "true", "false", ""])
  .optional()
  .transform((v) => v === "1" || v === "true");

const csv = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );

/** `ISLET_KEYRING`: `{"active":1,"keys":{"1":"<base64 of 32 bytes>"}}` — see src/lib/crypto.ts. */
export const keyringSchema = z.object({
  active: z.number().int().positive(),
  keys: z.record(z.string().regex(/^\d+$/), z.string().min(40)),
  /** Written by the dev-secrets generator; production refuses a keyring that carries it. */
  env: z.string().optional(),
});
export type KeyringConfig = z.infer<typeof keyringSchema>;

const keyringFromJson = z.string().transform((raw, ctx): KeyringConfig => {
  try {
    const parsed = keyringSchema.safeParse(JSON.parse(raw));
    if (parsed.success && parsed.data.keys[String(parsed.data.active)]) return parsed.data;
  } catch {
    // fall through to the issue below: never echo the secret's text in the message
  }
  ctx.addIssue({ code: "custom", message: "must be JSON {active, keys} with the active version present" });
  return z.NEVER;
});

/**
 * `PLATFORM_SIGNING_KEYS`: `{"active":"<kid>","keys":{"<kid>":"<base64 of a PKCS#8 Ed25519 key>"}}`
 * — the platform's own signing keys (deletion certificates, src/services/lifecycle). Every key's
 * public half is published at /.well-known/jwks.json, so a key is rotated by adding a new one,
 * making it active, and dropping the old one once nothing it signed needs checking.
 */
export const signingKeysSchema = z.object({
  active: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/),
  keys: z.record(z.string().regex(/^[A-Za-z0-9_-]{1,40}$/), z.string().regex(/^[A-Za-z0-9+/=]{40,400}$/)),
  /** Written by the dev-secrets generator; production refuses keys that carry it. */
  env: z.string().optional(),
});
export type SigningKeysConfig = z.infer<typeof signingKeysSchema>;

const signingKeysFromJson = z
  .string()
  .optional()
  .transform((raw, ctx): SigningKeysConfig | undefined => {
    if (raw === undefined || raw === "") return undefined;
    try {
      const parsed = signingKeysSchema.safeParse(JSON.parse(raw));
      if (parsed.success && parsed.data.keys[parsed.data.active]) return parsed.data;
    } catch {
      // fall through: never echo the secret's text
    }
    ctx.addIssue({ code: "custom", message: "must be JSON {active, keys} with the active key present" });
    return z.NEVER;
  });

/**
 * `OPERATOR_TOKENS`: `{"<operatorId>":"<sha256 hex of the operator's token>"}` — who may call
 * /v1/operator (break-glass, src/middleware/operator.ts). Only hashes are configured.
 */
export const operatorTokensSchema = z.record(
  z.string().regex(/^[a-z][a-z0-9_-]{1,39}$/, "operator ids are lower-case names"),
  z.string().regex(/^[0-9a-f]{64}$/, "must be the SHA-256 hex of the token"),
);

const operatorTokensFromJson = z
  .string()
  .optional()
  .transform((raw, ctx): Record<string, string> => {
    if (raw === undefined || raw.trim() === "") return {};
    try {
      const parsed = operatorTokensSchema.safeParse(JSON.parse(raw));
      if (parsed.success) return parsed.data;
    } catch {
      // fall through: never echo the value in the message
    }
    ctx.addIssue({ code: "custom", message: 'must be JSON {"<operatorId>":"<sha256 hex of token>"}' });
    return z.NEVER;
  });

export const configSchema = z.object({
  // Required, no default: a deployment that forgets it must refuse to serve, not run as development.
  ENVIRONMENT: z.enum(["development", "test", "production"], {
    error: "must be set to development, test or production",
  }),
  PUBLIC_URL: z.url(),
  ISLET_INSECURE_LOCAL: flag,
  CONTROL_DB_URL: z
    .string()
    .regex(/^(libsql|https|http|wss|ws):\/\//, "must be a libsql://, https:// or http:// URL"),
  CONTROL_DB_TOKEN: z.string().min(1).optional(),
  PROVISIONER: z.enum(["local", "turso"]).default("local"),
  /** Local devdb (PROVISIONER=local): Hrana endpoint, admin API, and the key that signs DB tokens. */
  DEVDB_URL: z.url().optional(),
  DEVDB_ADMIN_URL: z.url().optional(),
  DEVDB_ADMIN_TOKEN: z.string().min(1).optional(),
  /** PKCS#8 PEM of the Ed25519 key the local devdb trusts; used to mint per-tenant DB tokens. */
  DEVDB_JWT_PRIVATE_KEY: z.string().min(1).optional(),
  TURSO_API_URL: z.url().default("https://api.turso.tech"),
  TURSO_ORG: z.string().min(1).optional(),
  TURSO_GROUP: z.string().min(1).default("default"),
  TURSO_API_TOKEN: z.string().min(1).optional(),
  CORS_ORIGINS: csv,
  /**
   * The plan a new workspace starts on (architecture §4: plans change only by operator action). `npm
   * start` writes `development` (high limits, local only); production refuses that one.
   */
  DEFAULT_PLAN: z.enum(PLAN_IDS as [PlanId, ...PlanId[]]).default("free"),
  MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .max(100 * 1024 * 1024)
    .default(1024 * 1024),
  /** A request's whole budget (issue 19): past it, 503 `unavailable` with Retry-After. */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1_000).max(120_000).default(15_000),
  /** Each database round trip (a statement, a batch) at most this long, within the request's budget. */
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** The Gatekeeper's answer; unset: 1 s in production, 15 s locally (module loading on first use). */
  GATEKEEPER_TIMEOUT_MS: z.coerce.number().int().min(50).max(30_000).optional(),
  /**
   * Realtime resume (architecture §5): each workspace's hub keeps its latest row events, at most this
   * many and none older than REALTIME_RETENTION_MS, for sockets that `subscribe` `after` a
   * position; a gap older than that gets `resync`.
   */
  REALTIME_RETENTION_EVENTS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  REALTIME_RETENTION_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .max(24 * 3_600_000)
    .default(10 * 60_000),
  /** Workspace imports (`POST /v1/workspaces/:id/import`) take an archive up to this size instead. */
  MAX_IMPORT_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .max(100 * 1024 * 1024)
    .default(32 * 1024 * 1024),
  ISLET_KEYRING: keyringFromJson,
  SESSION_JWT_SECRET: z.string().min(32, "must be at least 32 characters"),
  /** After a planned rotation, the secret before it: verifies tokens issued before (src/lib/jwt.ts). */
  SESSION_JWT_SECRET_PREVIOUS: z.string().min(32, "must be at least 32 characters").optional(),
  /** Breached-password range API (k-anonymity: only 5 hex chars of SHA-1 are sent). */
  PWNED_API_URL: z.url().default("https://api.pwnedpasswords.com"),
  /** DNS-over-HTTPS (JSON API) for the outbound guard: every name islet fetches is resolved and checked. */
  DOH_RESOLVER_URL: z.url().default("https://cloudflare-dns.com/dns-query"),
  OPERATOR_TOKENS: operatorTokensFromJson,
  PLATFORM_SIGNING_KEYS: signingKeysFromJson,
  /**
   * RFC 9116 (/.well-known/security.txt): where to report a vulnerability, comma-separated
   * `mailto:`, `https:` or `tel:` URIs. Unset: mailto:security@<PUBLIC_URL's host>.
   */
  SECURITY_CONTACT: csv.pipe(
    z.array(
      z
        .string()
        .regex(
          /^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+|tel:\+?[0-9 ()-]+)$/,
          "must be mailto:, https: or tel: URIs",
        ),
    ),
  ),
  /** The disclosure policy's URL; unset: <PUBLIC_URL>/security (this deployment's SECURITY.md). */
  SECURITY_POLICY_URL: z.url().optional(),
  /** When security.txt goes stale (ISO 8601, within a year); unset: 180 days from each answer. */
  SECURITY_TXT_EXPIRES: z.iso.datetime({ offset: true }).optional(),
});

export type Config = z.output<typeof configSchema>;

/**
 * The Worker secrets a production deployment sets with `wrangler secret put` (the rest are vars
 * in wrangler.toml). The README's deploy steps list exactly these (scripts/readme.test.ts).
 */
export const PRODUCTION_SECRETS = [
  "CONTROL_DB_TOKEN",
  "TURSO_API_TOKEN",
  "ISLET_KEYRING",
  "SESSION_JWT_SECRET",
  "PLATFORM_SIGNING_KEYS",
  "MAIL_API_KEY",
  "OIDC_CLIENT_SECRETS",
  "OPERATOR_TOKENS",
] as const;

/** Values shipped in .dev.vars.example; a deployment that still carries one is misconfigured. */
const PLACEHOLDER = /^(change-?me|replace-?me|example|placeholder|secret|password)/i;
const SECRET_NAMES = [
  "CONTROL_DB_TOKEN",
  "TURSO_API_TOKEN",
  "SESSION_JWT_SECRET",
  "SESSION_JWT_SECRET_PREVIOUS",
  "DEVDB_ADMIN_TOKEN",
] as const;

/** Operator tokens a deployment must never accept: SHA-256 of placeholder words, dev-looking ids. */
const PLACEHOLDER_TOKEN_HASHES = new Set(
  [
    "",
    "change-me",
    "changeme",
    "replace-me",
    "example",
    "placeholder",
    "secret",
    "password",
    "operator",
    "dev",
    "test",
  ].map((word) => bytesToHex(sha256(utf8ToBytes(word)))),
);
const DEV_OPERATOR_ID = /^(dev|test|example|local)([_-]|$)/;

/** Fail closed (architecture §2): the reasons a production deployment must refuse to serve. */
function productionProblems(config: Config): string[] {
  const problems: string[] = [];
  if (config.ISLET_INSECURE_LOCAL) problems.push("ISLET_INSECURE_LOCAL is set");
  if (!config.PUBLIC_URL.startsWith("https://")) problems.push("PUBLIC_URL must be https://");
  if (/^(http|ws):\/\//.test(config.CONTROL_DB_URL)) problems.push("CONTROL_DB_URL uses plain HTTP");
  if (!config.CONTROL_DB_TOKEN) problems.push("CONTROL_DB_TOKEN is missing");
  if (config.PROVISIONER !== "turso") problems.push("PROVISIONER must be turso");
  if (!config.TURSO_API_URL.startsWith("https://")) problems.push("TURSO_API_URL uses plain HTTP");
  if (!config.DOH_RESOLVER_URL.startsWith("https://")) problems.push("DOH_RESOLVER_URL uses plain HTTP");
  if (config.SESSION_JWT_SECRET_PREVIOUS === config.SESSION_JWT_SECRET)
    problems.push("SESSION_JWT_SECRET_PREVIOUS is the current secret");
  if (!config.TURSO_API_TOKEN) problems.push("TURSO_API_TOKEN is missing");
  if (!config.TURSO_ORG) problems.push("TURSO_ORG is missing");
  if (LOCAL_ONLY_PLANS.includes(config.DEFAULT_PLAN))
    problems.push(`DEFAULT_PLAN ${config.DEFAULT_PLAN} exists only outside production`);
  if (config.ISLET_KEYRING.env === "dev") problems.push("ISLET_KEYRING is a development keyring");
  if (!config.PLATFORM_SIGNING_KEYS) problems.push("PLATFORM_SIGNING_KEYS is missing");
  else if (config.PLATFORM_SIGNING_KEYS.env === "dev")
    problems.push("PLATFORM_SIGNING_KEYS are development keys");
  for (const [version, key] of Object.entries(config.ISLET_KEYRING.keys)) {
    if (PLACEHOLDER.test(key) || /^(.)\1+={0,2}$/.test(key))
      problems.push(`ISLET_KEYRING key ${version} is a placeholder`);
  }
  for (const [operatorId, hash] of Object.entries(config.OPERATOR_TOKENS)) {
    if (DEV_OPERATOR_ID.test(operatorId) || PLACEHOLDER_TOKEN_HASHES.has(hash) || /^(.)\1+$/.test(hash))
      problems.push(`OPERATOR_TOKENS entry ${operatorId} is a development value`);
  }
  for (const name of SECRET_NAMES) {
    const value = config[name];
    if (value && (value.startsWith("dev_") || PLACEHOLDER.test(value)))
      problems.push(`${name} is a development value`);
  }
  return problems;
}

/** Outside production plain HTTP and loopback are still refused unless explicitly allowed. */
function localProblems(config: Config): string[] {
  if (config.ISLET_INSECURE_LOCAL) return [];
  const problems: string[] = [];
  if (/^(http|ws):\/\//.test(config.CONTROL_DB_URL))
    problems.push("CONTROL_DB_URL uses plain HTTP without ISLET_INSECURE_LOCAL=1");
  if (config.PROVISIONER === "local") problems.push("PROVISIONER=local needs ISLET_INSECURE_LOCAL=1");
  return problems;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

const cache = new WeakMap<object, ConfigResult>();

/**
 * Parses and checks the Worker's env once per env object. Problems name the variable and the
 * rule, never a value.
 */
export function parseConfig(env: object): ConfigResult {
  const cached = cache.get(env);
  if (cached) return cached;
  const parsed = configSchema.safeParse(env);
  let result: ConfigResult;
  if (!parsed.success) {
    result = {
      ok: false,
      problems: parsed.error.issues.map((i) => `${i.path.join(".") || "env"}: ${i.message}`),
    };
  } else {
    const config = parsed.data;
    const problems = config.ENVIRONMENT === "production" ? productionProblems(config) : localProblems(config);
    if (config.PROVISIONER === "local") {
      for (const name of ["DEVDB_URL", "DEVDB_ADMIN_URL"] as const)
        if (!config[name]) problems.push(`${name} is missing`);
    }
    if (config.PROVISIONER === "local" && !config.DEVDB_JWT_PRIVATE_KEY)
      problems.push("DEVDB_JWT_PRIVATE_KEY is missing");
    result = problems.length > 0 ? { ok: false, problems } : { ok: true, config };
  }
  cache.set(env, result);
  return result;
}

export const isProduction = (env: { ENVIRONMENT?: unknown }) => env.ENVIRONMENT === "production";
