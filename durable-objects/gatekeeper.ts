import { DurableObject } from "cloudflare:workers";
export class Gatekeeper extends DurableObject {
  async ping() { return "pong"; }
}
