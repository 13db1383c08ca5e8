// Vault secrets in the workspace archive (src/services/core/archive.ts): one `secret` line each, by
// name and kind, never its value. Whoever imports may add `value`; an import sets those it has
// through `setSecret` and reports the rest as missing.
import { z } from "zod";
import { type ArchiveSection, deleteMade, onlyOnce, SetAndMissing } from "../core/archive";
import { listSecrets, setSecret } from ".";
import { secretName, setSecretBody, VAULT_KINDS } from "./schemas";

const secretLine = z.object({
  type: z.literal("secret"),
  secret: z.object({ name: secretName, kind: z.enum(VAULT_KINDS) }),
  /** Added by whoever imports: without it, the secret is reported as missing, not created. */
  value: setSecretBody.shape.value.optional(),
});
type Line = z.infer<typeof secretLine>;

export const secretsArchive: ArchiveSection<Line, Line[], { secrets: SetAndMissing }> = {
  lines: { secret: secretLine },
  limit: 500,
  noun: "secrets",
  async *export(ctx, workspaceId) {
    for (const secret of await listSecrets({ ctx, input: { workspaceId } })) yield { type: "secret", secret };
  },
  plan() {
    const secrets: Line[] = [];
    const once = onlyOnce("Secret");
    return {
      add(line, at) {
        once(line.secret.name, at);
        secrets.push(line);
      },
      done: () => secrets,
    };
  },
  held: { table: "_islet_secrets" },
  async apply({ ctx, access }, plan, made) {
    const secrets: SetAndMissing = { set: [], missing: [] };
    for (const { secret, value } of plan) {
      if (value === undefined) {
        secrets.missing.push(secret.name);
        continue;
      }
      made.push(secret.name);
      await setSecret({
        ctx,
        input: { workspaceId: access.workspace.id, name: secret.name, kind: secret.kind, value },
      });
      secrets.set.push(secret.name);
    }
    return { secrets };
  },
  undo: { statements: deleteMade("_islet_secrets", "name") },
  /** Secrets need their values: those the archive did not supply are `missing`. */
  result: { secrets: SetAndMissing },
  audited: (result) => ({ secrets: result.secrets.set.length }),
};
