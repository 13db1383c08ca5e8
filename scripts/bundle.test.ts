// The Worker as wrangler bundles it for `npm start` and `wrangler deploy` (the vitest plugin
// bundles with Vite, which resolves imports that wrangler's own module rules may not): a build
// failure here is a broken `npm start` and a failed deploy.
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { root } from "./local-stack";

const run = promisify(execFile);
const outdir = mkdtempSync(join(tmpdir(), "islet-bundle-"));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe("wrangler bundle", () => {
  it.each([
    ["development", []],
    ["production", ["--env", "production"]],
  ])(
    "builds the %s Worker with its WebAssembly and SQL modules attached",
    async (name, flags) => {
      const dir = join(outdir, name);
      await run(
        join(root, "node_modules/.bin/wrangler"),
        ["deploy", "--dry-run", "--outdir", dir, ...flags],
        {
          cwd: root,
          env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
          timeout: 120_000,
        },
      );
      const files = readdirSync(dir);
      expect(files).toContain("index.js");
      // QuickJS (sandbox) and Argon2 (passwords) as compiled modules, every tenant migration as text.
      expect(files.filter((f) => f.endsWith("-wasm") || f.endsWith(".wasm")).length).toBeGreaterThanOrEqual(
        2,
      );
      expect(files.some((f) => f.endsWith("-wasm"))).toBe(true);
      // Workers accept at most 10 MB (compressed) per Worker on paid plans, 3 MB on free.
      const compressed = files
        .filter((f) => !f.endsWith(".map") && f !== "README.md")
        .reduce((sum, f) => sum + gzipSync(readFileSync(join(dir, f))).length, 0);
      expect(compressed).toBeLessThan(3 * 1024 * 1024);
      expect(files.filter((f) => f.endsWith(".sql")).length).toBe(
        readdirSync(join(root, "migrations/tenant")).filter((f) => f.endsWith(".sql")).length,
      );
    },
    120_000,
  );
});
