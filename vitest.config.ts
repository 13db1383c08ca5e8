import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// No outbound traffic: Miniflare must never fetch request.cf metadata from Cloudflare.
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";

export default defineConfig({
  test: {
    // .ci/run reads the JSON report to print "N passed, N failed".
    reporters: process.env.ISLET_TEST_REPORT
      ? ["default", ["json", { outputFile: process.env.ISLET_TEST_REPORT }]]
      : ["default"],
    // Logs of passing tests stay quiet; a failing test shows everything it printed.
    silent: "passed-only",
    projects: [
      {
        // Node-side code imports migrations/*.sql and the dashboard's static files as text, as
        // wrangler's Text rules do for the Worker.
        plugins: [
          {
            name: "sql-as-text",
            enforce: "pre" as const,
            transform(code: string, id: string) {
              return id.endsWith(".sql") || id.endsWith("/SECURITY.md") || /\/ui\/static\/[^/]+$/.test(id)
                ? { code: `export default ${JSON.stringify(code)};`, map: null }
                : undefined;
            },
          },
        ],
        // Node-side code: the local libSQL server, the operator CLI, scripts.
        test: {
          name: "node",
          environment: "node",
          include: ["devdb/**/*.test.ts", "cli/**/*.test.ts", "scripts/**/*.test.ts", "e2e/**/*.test.ts"],
          testTimeout: 30_000,
        },
      },
      {
        // The Worker, inside workerd, against the real local libSQL server.
        plugins: [
          cloudflareTest(({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: inject("workerBindings"),
            },
          })),
        ],
        test: {
          name: "worker",
          include: ["test/**/*.test.ts", "src/**/*.test.ts", "durable-objects/**/*.test.ts"],
          globalSetup: ["./test/global-setup.ts"],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
