import type { Client } from "@libsql/client/web";
import { drizzle } from "drizzle-orm/libsql/web";
import type { Config } from "../../env";
import { libsqlClient } from "../libsql";
import * as schema from "./schema";

export type ControlDb = ReturnType<typeof drizzle<typeof schema>> & { $client: Client };

const clients = new WeakMap<Config, ControlDb>();

/** The control database (drizzle over @libsql/client/web), one client per config. */
export function controlDb(config: Config): ControlDb {
  let db = clients.get(config);
  if (!db || db.$client.closed) {
    db = drizzle({
      client: libsqlClient(config.CONTROL_DB_URL, config.CONTROL_DB_TOKEN),
      schema,
    }) as ControlDb;
    clients.set(config, db);
  }
  return db;
}

export { schema };
