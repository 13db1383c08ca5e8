// Binding types come from `wrangler types` (npm run types → worker-configuration.d.ts), never
// kept by hand: the committed file must be what wrangler.toml and .dev.vars.example generate.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");

describe("worker-configuration.d.ts", () => {
  it("matches wrangler.toml (run `npm run types` after changing bindings or vars)", () => {
    const script = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).scripts.types as string;
    const args = script.split(/\s+/).slice(1);
    const wrangler = join(root, "node_modules/.bin/wrangler");
    const run = spawnSync(wrangler, [...args, "--check"], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
  });
});
