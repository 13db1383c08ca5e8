// `keyring status | rotate | drop`: the AES-256-GCM keyring that seals stored secrets (architecture §6:
// rotation re-encrypts every record, resumable; old versions stay readable until it finishes).
import type { Command } from "commander";
import {
  keyringStatus,
  mayDropVersion,
  type RotationReport,
  rotateKeyring,
} from "../../src/services/operator";
import { operatorContext } from "../context";
import { emit, progress, table } from "../output";
import { type CommandKit, positiveInt } from "./kit";

/** A rotation that left a record behind: a record it could not re-encrypt, a tenant it could not open. */
export const rotationIncomplete = (report: RotationReport) =>
  report.failed.length + report.unreachable.length > 0;

export function printRotationProblems(report: RotationReport): void {
  console.log(`failed ${report.failed.length}, unreachable workspaces ${report.unreachable.length}`);
  for (const f of report.failed) console.log(`  ${f.column} ${f.workspaceId}/${f.id}: ${f.error}`);
  for (const u of report.unreachable) console.log(`  workspace ${u.workspaceId} not reached: ${u.error}`);
}

export function registerKeyring(program: Command, { run, out, ctxOf, config }: CommandKit): void {
  const keyring = program.command("keyring").description("the AES-256-GCM keyring sealing stored secrets");
  keyring
    .command("status")
    .description("how many records each keyring version still encrypts, by sealed column")
    .action(
      run(async (_opts: object, cmd: Command) => {
        const status = await keyringStatus({ ctx: ctxOf(cmd) });
        emit(out(cmd), status, () => {
          console.log(`active version: ${status.active}`);
          table(
            Object.entries(status.versions).map(([version, counts]) => ({
              version,
              records: Object.values(counts).reduce((a, b) => a + b, 0),
              ...counts,
            })),
          );
          if (status.unreachable.length)
            console.log(`not checked (unreachable): ${status.unreachable.join(", ")}`);
        });
        return 0;
      }),
    );
  keyring
    .command("rotate")
    .description("re-encrypt every sealed record (control and tenants) under the active version; resumable")
    .action(
      run(async (_opts: object, cmd: Command) => {
        const o = out(cmd);
        const bar = progress(o, "tenants");
        const report = await rotateKeyring({
          ctx: ctxOf(cmd),
          input: { onProgress: (n, total) => bar.tick(n, total) },
        });
        bar.stop();
        emit(o, report, () => {
          table(Object.entries(report.columns).map(([column, c]) => ({ column, ...c })));
          printRotationProblems(report);
        });
        return rotationIncomplete(report) ? 1 : 0;
      }),
    );
  keyring
    .command("drop")
    .description("print the keyring without <version>; refused while any record uses it")
    .argument("<version>", "keyring version", positiveInt(1_000_000))
    .action(
      run(async (version: number, _opts: object, cmd: Command) => {
        const c = config(cmd);
        const verdict = mayDropVersion(await keyringStatus({ ctx: operatorContext(c) }), version);
        if (!verdict.ok) {
          console.error(`refused: version ${version} cannot be dropped: ${verdict.reason}`);
          return 1;
        }
        const { [String(version)]: _, ...keys } = c.ISLET_KEYRING.keys;
        console.log("No record uses it. Set ISLET_KEYRING to (wrangler secret put ISLET_KEYRING):");
        console.log(JSON.stringify({ active: c.ISLET_KEYRING.active, keys }));
        return 0;
      }),
    );
}
