// Types of the Worker's bindings for `cloudflare:workers` (env, exports). Kept by hand beside
// src/env.ts, which parses the string values; DO bindings are declared in wrangler.toml.
declare namespace Cloudflare {
  interface Env {
    GATEKEEPER: DurableObjectNamespace<import("../durable-objects/gatekeeper").Gatekeeper>;
    ENVIRONMENT: string;
    [name: string]: unknown;
  }
  interface Exports {
    default: Fetcher;
  }
}
