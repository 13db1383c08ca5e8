// `incident rotate`: a fresh keyring version and session secret, written to a file only the
// operator can read (never printed), a plan, a confirmation; then every session is revoked and
// every sealed record re-encrypted under the new version.
import { writeFileSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import { planIncidentRotation, revokeEverySession, rotateKeyring } from "../../src/services/operator";
import { loadConfig, loadVars, operatorContext } from "../context";
import { progress } from "../output";
import { printRotationProblems, rotationIncomplete } from "./keyring";
import type { CommandKit } from "./kit";

export function registerIncident(program: Command, kit: CommandKit): void {
  program
    .command("incident")
    .description("incident response")
    .command("rotate")
    .description("new keyring version and session secret, every session revoked, everything re-encrypted")
    .option("--yes", "do not ask for confirmation", false)
    .action(kit.run(async (opts: { yes: boolean }, cmd: Command) => incidentRotate(kit, cmd, opts.yes)));
}

async function incidentRotate(kit: CommandKit, cmd: Command, yes: boolean): Promise<number> {
  const c = kit.config(cmd);
  const ctx = operatorContext(c);
  const plan = await planIncidentRotation({ ctx });
  const file = `incident-${new Date().toISOString().replace(/[:.]/g, "-")}.vars`;
  writeFileSync(
    file,
    `ISLET_KEYRING='${JSON.stringify(plan.keyring)}'\nSESSION_JWT_SECRET="${plan.sessionSecret}"\n`,
    { mode: 0o600, flag: "wx" }, // a new file only: an existing one would keep its own mode
  );
  console.log(`Incident rotation. New values are in ${file} (mode 600); they are not printed.
  1. keyring: version ${plan.keyring.active} becomes active; versions ${Object.keys(c.ISLET_KEYRING.keys).join(", ")} stay readable
  2. session secret: replaced, with no previous secret: every access token stops at once
  3. sessions: all ${plan.liveSessions} live sessions revoked: no refresh token works again
  4. every sealed record (control and tenants) re-encrypted under version ${plan.keyring.active}
First set 1 and 2 on the Worker (wrangler secret put ISLET_KEYRING / SESSION_JWT_SECRET
[--env production]) and in this shell's configuration, then confirm.`);
  if (!yes) {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question('Type "rotate" to revoke every session and re-encrypt now: ');
    rl.close();
    if (answer.trim() !== "rotate") {
      console.log("Nothing changed.");
      return 1;
    }
  }
  const next = loadConfig({
    ...loadVars(kit.globals(cmd).envFile),
    ISLET_KEYRING: JSON.stringify(plan.keyring),
  });
  const revoked = await revokeEverySession({ ctx, input: { reason: "incident rotate" } });
  console.log(`sessions revoked: ${revoked}`);
  const bar = progress(kit.out(cmd), "tenants");
  const report = await rotateKeyring({
    ctx: operatorContext(next),
    input: { onProgress: (n, total) => bar.tick(n, total) },
  });
  bar.stop();
  console.log(`re-encrypted ${report.rotated}, already current ${report.alreadyCurrent}`);
  printRotationProblems(report);
  console.log("When keyring status shows nothing left under the old versions, drop them (keyring drop <v>).");
  return rotationIncomplete(report) ? 1 : 0;
}
