// The numbered `.sql` migrations on disk, for Node-side code (the operator CLI, `npm start`,
// tests, benchmarks). The Worker bundles its own as text (migrations/tenant/index.ts).
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { libsqlClient } from "./libsql";
import { applyMigrations, type Migration } from "./migrator";

const migrationsRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "migrations");

export function loadMigrations(kind: "control" | "tenant"): Migration[] {
  return migrationsIn(join(migrationsRoot, kind));
}

/** The numbered `.sql` migrations of a folder, in order. */
export function migrationsIn(dir: string): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ name: f.replace(/\.sql$/, ""), sql: readFileSync(join(dir, f), "utf8") }));
}

/** Creates the `control` namespace if needed and applies the control migrations to it. */
export async function migrateControl(opts: { url: string; token: string | undefined }): Promise<string[]> {
  const client = libsqlClient(opts.url, opts.token);
  try {
    return await applyMigrations(client, loadMigrations("control"));
  } finally {
    client.close();
  }
}
