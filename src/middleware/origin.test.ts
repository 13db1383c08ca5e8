import { describe, expect, it } from "vitest";
import { edgeApp, envelope, send } from "../../test/edge";
import { trustedOrigin } from "./origin";

function app() {
  const app = edgeApp();
  app.use("*", trustedOrigin);
  app.all("/mcp", (c) => c.json({ reached: true }));
  return app;
}

const from = (origin: string | undefined, method = "POST") =>
  send(app(), "/mcp", { method, headers: origin === undefined ? {} : { Origin: origin } });

describe("trustedOrigin (the agent surfaces)", () => {
  it("lets agents without an Origin, and islet's own and listed origins, through", async () => {
    for (const origin of [undefined, "http://127.0.0.1:8787", "http://localhost:8787"]) {
      expect((await from(origin)).status, String(origin)).toBe(200);
    }
  });

  it("refuses a foreign Origin with 403, whatever the method (MCP Streamable HTTP, DNS rebinding)", async () => {
    for (const method of ["POST", "GET", "OPTIONS", "DELETE"]) {
      const res = await from("http://attacker.example", method);
      expect(res.status, method).toBe(403);
      expect((await envelope(res)).code).toBe("forbidden");
    }
    expect((await from("null")).status).toBe(403);
  });

  // The test stack is local (ISLET_INSECURE_LOCAL=1); without it the app cannot reach its local
  // database at all (503 misconfigured), so the production half is src/http/origin.ts's rule alone.
  it("on a local stack trusts another loopback port, not a name that only looks like one", async () => {
    expect((await from("http://127.0.0.1:6274")).status).toBe(200);
    expect((await from("http://127.0.0.1.attacker.example")).status).toBe(403);
    expect((await from("http://localhost.attacker.example:6274")).status).toBe(403);
  });
});
