// The auth domain's entry in the inventory (src/services/core/inventory.ts): accounts and their
// sign-in state, all in the control database.
import type { DomainInventory } from "../core/inventory";

export const authInventory: DomainInventory = {
  domain: "auth",
  controlTables: {
    users: { account: "profile" },
    user_identities: { account: "identities" },
    sessions: { account: "sessions" },
    refresh_tokens: { notExported: "hashes of live credentials (the sessions are exported)" },
    email_tokens: { notExported: "hashes of single-use verification and reset links" },
    oidc_states: { notExported: "sign-ins under way, minutes long" },
  },
};
