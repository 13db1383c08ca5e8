// islet operator CLI: `npm run islet -- <command>`.
//   tenants list                 every workspace with region, plan and status
//   migrate [--concurrency N]    control migrations, then tenant migrations fanned out to every workspace
//   keyring rotate               re-encrypt stored secrets under the active keyring version
//   doctor                       check the configuration the Worker would run with
// Options: --env-file <path> (default .dev.vars; the process environment overrides it).
import { parseArgs } from "node:util";
import { loadMigrations, migrateControl } from "../scripts/local-stack";
import { parseConfig } from "../src/env";
import { fanOutMigrations, listTenants, rotateKeyring } from "../src/services/operator";
import { loadConfig, loadVars, operatorContext } from "./context";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { "env-file": { type: "string" }, concurrency: { type: "string", default: "4" } },
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
      input: {
        onProgress: (done, total) => {
          if (done % 50 === 0 || done === total) console.log(`[${done}/${total}]`);
        },
      },
    });
    console.log(
      `rotated ${report.rotated}, already current ${report.alreadyCurrent}, failed ${report.failed.length}`,
    );
    for (const f of report.failed) console.log(`  ${f.id}: ${f.error}`);
    return report.failed.length > 0 ? 1 : 0;
  }
  console.log(
    "usage: npm run islet -- tenants list | migrate [--concurrency N] | keyring rotate | doctor [--env-file F]",
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
