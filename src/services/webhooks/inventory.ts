// The webhooks domain's entry in the inventory (src/services/core/inventory.ts).
import type { DomainInventory } from "../core/inventory";

export const webhooksInventory: DomainInventory = {
  domain: "webhooks",
  tenantTables: {
    // Without signing secrets: an import makes new ones.
    _islet_webhooks: { archive: "webhook" },
    _islet_webhook_deliveries: { notExported: "the delivery log of endpoints an import makes anew" },
    _islet_webhook_outbox: { notExported: "events not yet fanned out to endpoints an import makes anew" },
  },
  controlTables: {
    webhook_workspaces: { notExported: "which workspaces the webhook sweep visits, and when it last did" },
  },
  sealed: [
    {
      database: "tenant",
      table: "_islet_webhooks",
      column: "secret_enc",
      idColumn: "id",
      kind: "webhook_secret",
      nullable: false,
    },
    {
      // Standard Webhooks rotation: the previous secret keeps signing for 24 h (architecture §8), under
      // the endpoint's own binding, so a keyring version it uses may not be dropped before it moves.
      database: "tenant",
      table: "_islet_webhooks",
      column: "previous_secret_enc",
      idColumn: "id",
      kind: "webhook_secret",
      nullable: true,
    },
  ],
};
