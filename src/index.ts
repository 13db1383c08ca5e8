import { buildApp } from "./app";
import type { Bindings } from "./env";

export { Gatekeeper } from "../durable-objects/gatekeeper";

const app = buildApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Bindings>;
