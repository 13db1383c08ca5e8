// The secrets a deploy must set, and the keys among them: the keyring imports and the platform
// signing keys publish.
import { type Config, PRODUCTION_SECRETS } from "../../src/config";
import { importKeyring } from "../../src/lib/crypto";
// The certificate module itself: the lifecycle index pulls in the sandbox (QuickJS WebAssembly).
import { platformJwks } from "../../src/services/lifecycle/certificate";
import { type DoctorRow, fail, message, pass, skip } from "./rows";

/** Which secrets this configuration needs, and the rows for each. */
export function secretRows(vars: Record<string, string>, production: boolean, envFlag: string): DoctorRow[] {
  const needed: Record<(typeof PRODUCTION_SECRETS)[number], boolean> = {
    CONTROL_DB_TOKEN: production,
    TURSO_API_TOKEN: production || vars.PROVISIONER === "turso",
    ISLET_KEYRING: true,
    SESSION_JWT_SECRET: true,
    PLATFORM_SIGNING_KEYS: production,
    MAIL_API_KEY: production ? vars.MAIL_PROVIDER !== "outbox" : vars.MAIL_PROVIDER === "resend",
    OIDC_CLIENT_SECRETS: (vars.OIDC_PROVIDERS ?? "[]").trim() !== "[]",
    OPERATOR_TOKENS: production,
  };
  return PRODUCTION_SECRETS.map((name) => {
    const check = `secret ${name}`;
    const present =
      (vars[name] ?? "").trim() !== "" && !(name === "OPERATOR_TOKENS" && vars[name]?.trim() === "{}");
    if (present) return pass(check, "set");
    if (!needed[name])
      return skip(check, production ? "not used by this configuration" : "not needed outside production");
    return fail(check, "missing", `npx wrangler secret put ${name}${envFlag} (and add it to the env file)`);
  });
}

export async function keyRows(config: Config): Promise<DoctorRow[]> {
  const rows: DoctorRow[] = [];
  try {
    await importKeyring(config.ISLET_KEYRING);
    rows.push(
      pass(
        "keyring",
        `active version ${config.ISLET_KEYRING.active}, ${Object.keys(config.ISLET_KEYRING.keys).length} key(s)`,
      ),
    );
  } catch (error) {
    rows.push(fail("keyring", message(error), "each ISLET_KEYRING key is base64 of 32 random bytes"));
  }
  if (!config.PLATFORM_SIGNING_KEYS)
    rows.push(skip("platform signing key", "not set (required in production)"));
  else {
    try {
      const jwks = await platformJwks(config);
      rows.push(
        pass(
          "platform signing key",
          `active ${config.PLATFORM_SIGNING_KEYS.active}, ${jwks.keys.length} published`,
        ),
      );
    } catch (error) {
      rows.push(
        fail("platform signing key", message(error), "each key is base64 of a PKCS#8 Ed25519 private key"),
      );
    }
  }
  return rows;
}
