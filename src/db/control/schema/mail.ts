// Drizzle view of the control database's development outbox (migrations/control/0002_auth.sql):
// mail the local stack "sends" lands here, never outside the machine.
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const devOutbox = sqliteTable(
  "dev_outbox",
  {
    id: text("id").primaryKey(),
    ts: integer("ts").notNull(),
    toAddr: text("to_addr").notNull(),
    fromAddr: text("from_addr").notNull(),
    subject: text("subject").notNull(),
    textBody: text("text_body").notNull(),
    tag: text("tag").notNull(),
  },
  (t) => [index("dev_outbox_to").on(t.toAddr, t.ts)],
);
