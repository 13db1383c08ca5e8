import { describe, expect, it } from "vitest";
import { edgeApp, envelope, send } from "../../test/edge";
import { currentBudget } from "../lib/deadline";
import { deadline } from "./deadline";

function app() {
  const app = edgeApp();
  app.use("*", deadline);
  // What every database, Durable Object and queue call below the route takes its deadline from.
  const budget = () => {
    const b = currentBudget();
    return b ? { leftMs: b.deadlineAt - Date.now(), statementMs: b.statementMs } : null;
  };
  app.get("/v1/things", (c) => c.json(budget()));
  app.post("/v1/workspaces/:workspaceId/import", (c) => c.json(budget()));
  app.get("/v1/stuck", () => new Promise<Response>(() => {}));
  return app;
}

const vars = { REQUEST_TIMEOUT_MS: "4000", DB_STATEMENT_TIMEOUT_MS: "300" };

describe("deadline (issue 19)", () => {
  it("gives the request one budget of REQUEST_TIMEOUT_MS, with the configured cap per statement", async () => {
    const res = await send(app(), "/v1/things", {}, vars);
    const budget = (await res.json()) as { leftMs: number; statementMs: number } | null;
    expect(budget?.statementMs).toBe(300);
    expect(budget?.leftMs).toBeGreaterThan(0);
    expect(budget?.leftMs).toBeLessThanOrEqual(4000);
  });

  it("gives a workspace import two minutes, however short a request's budget", async () => {
    const res = await send(
      app(),
      "/v1/workspaces/ws_0000000000000000000000000a/import",
      { method: "POST" },
      vars,
    );
    const budget = (await res.json()) as { leftMs: number } | null;
    expect(budget?.leftMs).toBeGreaterThan(4000);
    expect(budget?.leftMs).toBeLessThanOrEqual(120_000);
  });

  it("answers 503 unavailable with Retry-After when the request has not answered in time", async () => {
    // 1 s is the shortest budget the configuration allows.
    const res = await send(app(), "/v1/stuck", {}, { REQUEST_TIMEOUT_MS: "1000" });
    expect(res.status).toBe(503);
    expect(res.headers.get("Retry-After")).toBe("1");
    expect((await envelope(res)).code).toBe("unavailable");
  });
});
