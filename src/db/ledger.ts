// The migrations ledger both kinds of database keep (created by src/db/migrator.ts).
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const migrationsLedger = sqliteTable("_islet_migrations", {
  name: text("name").primaryKey(),
  checksum: text("checksum").notNull(),
  appliedAt: integer("applied_at").notNull(),
});
