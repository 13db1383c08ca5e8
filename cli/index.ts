// islet operator CLI: `npm run islet -- <command>`.
//   tenants list                 every workspace with region, plan and status
//   tenants gc [--dry-run]       destroy workspaces abandoned mid-provisioning and databases no workspace names
//   migrate [--concurrency N]    control migrations, then tenant migrations fanned out to every workspace
//   keyring rotate               re-encrypt every stored secret (control and tenants) under the active version
//   keyring status               how many records each keyring version still encrypts
//   keyring drop <version>       the keyring without <version>, refused while any record uses it
//   incident rotate [--yes]      new keyring version and session secret, every session revoked, all re-encrypted
//   doctor                       check the configuration the Worker would run with
// Options: --env-file <path> (default .dev.vars; the process environment overrides it).

import { writeFileSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { loadMigrations, migrateControl } from "../scripts/local-stack";
import type { Config } from "../src/env";
import { parseConfig } from "../src/env";
import {
  collectGarbage,
  fanOutMigrations,
  keyringStatus,
  listTenants,
  mayDropVersion,
  planIncidentRotation,
  revokeEverySession,
  rotateKeyring,
} from "../src/services/operator";
import { loadConfig, loadVars, operatorContext } from "./context";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "env-file": { type: "string" },
    concurrency: { type: "string", default: "4" },
    yes: { type: "boolean", default: false },
    "dry-run": { type: "boolean", default: false },
  },
});
const [command, sub] = positionals;

async function main(): Promise<number> {
  const vars = loadVars(values["env-file"]);
  if (command === "doctor") {
    const result = parseConfig(vars);
    if (result.ok) {
      console.log(`config ok (${result.config.ENVIRONMENT}, provisioner ${result.config.PROVISIONER})`);
      return 0;
    }
    console.log(`config refused:\n  - ${result.problems.join("\n  - ")}`);
    return 1;
  }
  const config = loadConfig(vars);
  if (command === "tenants" && sub === "list") {
    const rows = await listTenants({ ctx: operatorContext(config) });
    console.table(
      rows.map((w) => ({ id: w.id, slug: w.slug, region: w.region, plan: w.plan, status: w.status })),
    );
    return 0;
  }
  if (command === "tenants" && sub === "gc") {
    const report = await collectGarbage({
      ctx: operatorContext(config),
      input: { dryRun: values["dry-run"] },
    });
    const rows = [
      ...report.abandoned.map((r) => ({
        kind: "abandoned provisioning",
        workspace: r.workspaceId,
        database: r.dbName,
        outcome: r.outcome,
        error: r.error ?? "",
      })),
      ...report.orphans.map((r) => ({
        kind: "orphan database",
        workspace: "",
        database: r.dbName,
        outcome: r.outcome,
        error: r.error ?? "",
      })),
    ];
    if (rows.length === 0) console.log("nothing to collect");
    else console.table(rows);
    return rows.some((r) => r.outcome === "failed") ? 1 : 0;
  }
  if (command === "migrate") {
    const control = await migrateControl({ url: config.CONTROL_DB_URL, token: config.CONTROL_DB_TOKEN });
    console.log(`control: ${control.length ? control.join(", ") : "up to date"}`);
    const results = await fanOutMigrations({
      ctx: operatorContext(config),
      input: {
        migrations: loadMigrations("tenant"),
        concurrency: Number(values.concurrency),
        onProgress: (s, done, total) =>
          console.log(
            `[${done}/${total}] ${s.slug} ${s.status}${s.applied.length ? ` (${s.applied.join(", ")})` : ""}${s.error ? `: ${s.error}` : ""}`,
          ),
      },
    });
    const failed = results.filter((r) => r.status === "failed").length;
    console.log(`tenants: ${results.length - failed} ok, ${failed} failed`);
    return failed > 0 ? 1 : 0;
  }
  if (command === "keyring" && sub === "rotate") {
    const report = await rotateKeyring({
      ctx: operatorContext(config),
      input: { onProgress: (done, total) => progressBar("tenants", done, total) },
    });
    for (const [kind, counts] of Object.entries(report.kinds)) {
      console.log(
        `${kind}: ${counts.rotated} rotated, ${counts.alreadyCurrent} already current (${counts.total})`,
      );
    }
    console.log(`failed ${report.failed.length}`);
    for (const f of report.failed) console.log(`  ${f.kind} ${f.id}: ${f.error}`);
    return report.failed.length > 0 ? 1 : 0;
  }
  if (command === "keyring" && sub === "status") {
    const status = await keyringStatus({ ctx: operatorContext(config) });
    console.log(`active version: ${status.active}`);
    for (const [version, counts] of Object.entries(status.versions)) {
      const total = Object.values(counts).reduce((a, b) => a + (b ?? 0), 0);
      const parts = Object.entries(counts).map(([kind, n]) => `${kind} ${n}`);
      console.log(`v${version}: ${total} record(s)${parts.length ? ` (${parts.join(", ")})` : ""}`);
    }
    if (status.unreachable.length) console.log(`not checked (unreachable): ${status.unreachable.join(", ")}`);
    return 0;
  }
  if (command === "keyring" && sub === "drop") {
    const version = Number(positionals[2]);
    if (!Number.isInteger(version)) {
      console.error("usage: npm run islet -- keyring drop <version>");
      return 2;
    }
    const verdict = mayDropVersion(await keyringStatus({ ctx: operatorContext(config) }), version);
    if (!verdict.ok) {
      console.error(`refused: version ${version} cannot be dropped: ${verdict.reason}`);
      return 1;
    }
    const { [String(version)]: _, ...keys } = config.ISLET_KEYRING.keys;
    console.log("No record uses it. Set ISLET_KEYRING to (wrangler secret put ISLET_KEYRING):");
    console.log(JSON.stringify({ active: config.ISLET_KEYRING.active, keys }));
    return 0;
  }
  if (command === "incident" && sub === "rotate") return incidentRotate(config, values.yes === true);
  console.log(
    "usage: npm run islet -- tenants list | tenants gc [--dry-run] | migrate [--concurrency N] | keyring rotate|status|drop <v> | incident rotate [--yes] | doctor [--env-file F]",
  );
  return command ? 2 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`islet: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);

/** A one-line progress bar on a terminal; a line per 10% otherwise. */
function progressBar(what: string, done: number, total: number): void {
  const width = 30;
  const filled = total === 0 ? width : Math.round((done / total) * width);
  const line = `${what} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total}`;
  if (process.stdout.isTTY) process.stdout.write(`\r${line}${done === total ? "\n" : ""}`);
  else if (total === 0 || done === total || done % Math.max(1, Math.ceil(total / 10)) === 0)
    console.log(line);
}

/**
 * `incident rotate`: a fresh keyring version and session secret, written to a file only the
 * operator can read (never printed), a plan, a confirmation; then every session is revoked and
 * every sealed record re-encrypted under the new version.
 */
async function incidentRotate(config: Config, yes: boolean): Promise<number> {
  const ctx = operatorContext(config);
  const plan = await planIncidentRotation({ ctx });
  const file = `incident-${new Date().toISOString().replace(/[:.]/g, "-")}.vars`;
  writeFileSync(
    file,
    `ISLET_KEYRING='${JSON.stringify(plan.keyring)}'\nSESSION_JWT_SECRET="${plan.sessionSecret}"\n`,
    { mode: 0o600 },
  );
  console.log(`Incident rotation. New values are in ${file} (mode 600); they are not printed.
  1. keyring: version ${plan.keyring.active} becomes active; versions ${Object.keys(config.ISLET_KEYRING.keys).join(", ")} stay readable
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
  const next = loadConfig({ ...loadVars(values["env-file"]), ISLET_KEYRING: JSON.stringify(plan.keyring) });
  const revoked = await revokeEverySession({ ctx, input: { reason: "incident rotate" } });
  console.log(`sessions revoked: ${revoked}`);
  const report = await rotateKeyring({
    ctx: operatorContext(next),
    input: { onProgress: (done, total) => progressBar("tenants", done, total) },
  });
  console.log(
    `re-encrypted ${report.rotated}, already current ${report.alreadyCurrent}, failed ${report.failed.length}`,
  );
  for (const f of report.failed) console.log(`  ${f.kind} ${f.id}: ${f.error}`);
  console.log(`When keyring status shows nothing left under the old versions, drop them (keyring drop <v>).`);
  return report.failed.length > 0 ? 1 : 0;
}
