// `islet doctor`: every check the Worker makes of its configuration at start (src/config.ts), and
// what only an operator's machine can check: the secrets a deploy must set, mail and sign-in
// settings, that the databases and the Turso organization answer with the tokens given, and that
// wrangler.toml binds what the code needs. Each check is a row: pass, fail or skip, with the fix.
// The groups of checks: secrets.ts, network.ts, wrangler.ts; this file runs them in order.
import { parseConfig } from "../../src/config";
import { LOCAL_ONLY_PLANS, PLANS, type PlanId } from "../../src/lib/plans";
import { oidcProblem } from "../../src/services/auth";
import { resolveMailConfig } from "../../src/services/mail";
import { controlRows, provisionerRows } from "./network";
import { type DoctorRow, fail, pass, skip } from "./rows";
import { keyRows, secretRows } from "./secrets";
import { type Wrangler, wranglerRows } from "./wrangler";

export type { DoctorRow } from "./rows";

/**
 * What this run can vouch for: a local configuration passes the local rules only, and saying so
 * keeps a green table on a laptop from reading as "ready for production".
 */
function scopeRow(vars: Record<string, string>, production: boolean): DoctorRow {
  if (production) return pass("scope", "production rules: https URLs, Turso, no development values");
  return {
    ...skip("scope", `local rules only (ENVIRONMENT=${vars.ENVIRONMENT ?? "unset"}), not production's`),
    fix: "production: --env-file <production vars> with ENVIRONMENT=production",
  };
}

/** The plan new workspaces get; the development plan's high limits exist only off production. */
function planRow(plan: PlanId): DoctorRow {
  const { perMinute, workspacePerMinute } = PLANS[plan];
  const limits = `${perMinute.toLocaleString("en")}/min per principal, ${workspacePerMinute.toLocaleString("en")}/min per workspace`;
  return pass(
    "new workspaces' plan",
    LOCAL_ONLY_PLANS.includes(plan) ? `${plan} (local only): ${limits}` : `${plan}: ${limits}`,
  );
}

export { MAX_COMPATIBILITY_DATE, readWrangler, wranglerRows, wranglerVars } from "./wrangler";

/**
 * Every check, in order. `vars` is what the Worker would see (wrangler.toml's vars for the env,
 * then the env file, then the process environment).
 */
export async function runDoctor(opts: {
  vars: Record<string, string>;
  toml: Wrangler;
  env: string | undefined;
  network?: boolean;
}): Promise<DoctorRow[]> {
  const { vars, toml, env } = opts;
  const production = vars.ENVIRONMENT === "production";
  const rows = [scopeRow(vars, production), ...secretRows(vars, production, env ? ` --env ${env}` : "")];
  const parsed = parseConfig({ ...vars });
  if (!parsed.ok) {
    for (const problem of parsed.problems)
      rows.push(fail("configuration", problem, "see .dev.vars.example and the README's Configuration table"));
  } else
    rows.push(
      pass("configuration", `${parsed.config.ENVIRONMENT}, provisioner ${parsed.config.PROVISIONER}`),
      planRow(parsed.config.DEFAULT_PLAN),
    );
  if (parsed.ok) {
    const mail = resolveMailConfig(vars, parsed.config);
    rows.push(
      typeof mail === "string"
        ? fail("mail", mail, "MAIL_PROVIDER=resend with MAIL_API_KEY (and MAIL_FROM on a verified domain)")
        : pass(
            "mail",
            mail.MAIL_PROVIDER === "outbox" ? "dev outbox" : `${mail.MAIL_PROVIDER} from ${mail.MAIL_FROM}`,
          ),
    );
  }
  const oidc = oidcProblem(vars);
  rows.push(
    oidc
      ? fail(
          "sign-in providers",
          oidc,
          "OIDC_PROVIDERS (var) and OIDC_CLIENT_SECRETS (secret) of the same ids",
        )
      : pass("sign-in providers", (vars.OIDC_PROVIDERS ?? "[]") === "[]" ? "none configured" : "valid"),
  );
  if (parsed.ok) {
    rows.push(...(await keyRows(parsed.config)));
    if (opts.network !== false) {
      rows.push(...(await controlRows(parsed.config)));
      rows.push(...(await provisionerRows(parsed.config)));
    }
  }
  rows.push(...wranglerRows(toml, env));
  return rows;
}
