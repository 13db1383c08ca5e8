import type { Client } from "@libsql/client/web";
import { drizzle } from "drizzle-orm/libsql/web";
import type { Config } from "../../config";
import { libsqlClient } from "../libsql";
import * as schema from "./schema";

export type ControlDb = ReturnType<typeof drizzle<typeof schema>> & { $client: Client };

/**
 * The control database (drizzle over @libsql/client/web). A new client every call, never one
 * shared across requests: the client queues statements behind a concurrency limiter, and a
 * Worker may not start one request's I/O from another request's context ("Cannot perform I/O on
 * behalf of a different request"). Creating a client makes no network call (Hrana v2 over HTTP
 * needs no version probe), so this costs microseconds.
 */
export function controlDb(config: Config): ControlDb {
  return drizzle({
    client: libsqlClient(config.CONTROL_DB_URL, config.CONTROL_DB_TOKEN),
    schema,
  }) as ControlDb;
}

export { schema };
