// npm run devdb -- --port <p> --admin-port <a> --dir <path> [--jwt-public-key <file>] [--admin-token <t>]
//                   [--statement-timeout-ms <ms>] [--max-connections <n>]
// Prints "devdb listening on <url>" and "devdb admin on <url>" once ready; SIGTERM/SIGINT stop it
// cleanly (streams closed, open transactions rolled back, WAL checkpointed, files closed).
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startDevdb } from "./server.ts";

const usage =
  "usage: npm run devdb -- --dir <path> [--port <p>] [--admin-port <a>] [--host <h>]\n" +
  "                        [--jwt-public-key <file>] [--admin-token <t>]\n" +
  "                        [--statement-timeout-ms <ms>] [--max-connections <n>]\n" +
  "The admin token may also come from DEVDB_ADMIN_TOKEN (keeps it out of the process list).";

function port(value: string | undefined, flag: string): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${flag} must be a port number`);
  return n;
}

function count(value: string | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} must be an integer of at least ${min}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      dir: { type: "string" },
      port: { type: "string" },
      "admin-port": { type: "string" },
      host: { type: "string" },
      "jwt-public-key": { type: "string" },
      "admin-token": { type: "string" },
      "statement-timeout-ms": { type: "string" },
      "max-connections": { type: "string" },
      help: { type: "boolean" },
    },
  });
  if (values.help || values.dir === undefined) {
    console.error(usage);
    process.exit(values.help ? 0 : 2);
  }
  const keyFile = values["jwt-public-key"];
  const devdb = await startDevdb({
    dir: values.dir,
    port: port(values.port, "--port"),
    adminPort: port(values["admin-port"], "--admin-port"),
    host: values.host,
    jwtPublicKey: keyFile === undefined ? undefined : readFileSync(keyFile, "utf8"),
    adminToken: values["admin-token"] ?? process.env.DEVDB_ADMIN_TOKEN,
    statementTimeoutMs: count(values["statement-timeout-ms"], "--statement-timeout-ms", 0),
    maxConnections: count(values["max-connections"], "--max-connections", 1),
    log: (line) => console.error(`${new Date().toISOString()} devdb: ${line}`),
  });
  console.log(`devdb listening on ${devdb.url}`);
  console.log(`devdb admin on ${devdb.adminUrl}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`devdb: ${signal} received, stopping`);
    devdb.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("devdb: stop failed:", error);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((error: unknown) => {
  console.error(`devdb: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
