// Bounded waits with a stalled database (issue 19). devdb runs in its own process and is paused
// with SIGSTOP, as a server that stops answering without closing its connections; the real
// Worker runs under wrangler's local runtime. Writes must answer 503 `unavailable` with
// Retry-After within their deadline instead of hanging; after SIGCONT each write is either
// committed or absent (never twice), and the database takes writes again once the abandoned
// streams expire.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedOwner, startWorker, type WorkerCall } from "../bench/_stack";
import { operatorContext } from "../cli/context";
import { type DevdbProcess, spawnDevdb, startLocalPlatform } from "../scripts/local-stack";
import { loadMigrations } from "../src/db/migration-files";
import { fanOutMigrations } from "../src/services/operator";

let dir: string;
let platform: Awaited<ReturnType<typeof startLocalPlatform>>;
let devdb: DevdbProcess;
let worker: Awaited<ReturnType<typeof startWorker>>;
let call: WorkerCall;
let owner: Awaited<ReturnType<typeof seedOwner>>;

beforeAll(async () => {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  dir = mkdtempSync(join(tmpdir(), "islet-faults-"));
  platform = await startLocalPlatform({ dir, environment: "development" });
  // The control database stays in this process; tenant databases go to the devdb that is paused,
  // so sign-in and rate limits answer and the stall is the tenant write itself.
  devdb = await spawnDevdb({
    dir: join(dir, "tenants"),
    jwtPublicKey: platform.secrets.DEVDB_JWT_PUBLIC_KEY,
    adminToken: platform.secrets.DEVDB_ADMIN_TOKEN,
  });
  // Short deadlines keep the test quick; the defaults (5 s, 15 s) behave the same, only slower.
  const vars = {
    ...platform.vars,
    DEVDB_URL: devdb.url,
    DEVDB_ADMIN_URL: devdb.adminUrl,
    DB_STATEMENT_TIMEOUT_MS: "1000",
    REQUEST_TIMEOUT_MS: "3000",
  };
  worker = await startWorker(vars);
  call = worker.call;
  owner = await seedOwner(vars);
  for (const unique of [true, false]) {
    const made = await call(`/v1/workspaces/${owner.workspace.id}/tables`, {
      method: "POST",
      token: owner.token,
      // `tallies` has no unique column: only the Idempotency-Key can keep a retry from doubling.
      body: {
        name: unique ? "events" : "tallies",
        columns: [{ name: "n", type: "integer", notNull: true, unique }],
      },
    });
    expect(made.status).toBe(201);
  }
}, 180_000);

afterAll(async () => {
  devdb?.resume();
  await worker?.dispose();
  await devdb?.stop();
  await platform?.devdb.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const rowsPath = () => `/v1/workspaces/${owner.workspace.id}/tables/events/rows`;
const insert = (n: number) => call(rowsPath(), { method: "POST", token: owner.token, body: { n } });

async function storedValues(): Promise<number[]> {
  const res = await call(`${rowsPath()}?limit=1000`, { token: owner.token });
  expect(res.status).toBe(200);
  return ((await res.json()) as { rows: { n: number }[] }).rows.map((r) => r.n).sort((a, b) => a - b);
}

describe("a paused database", () => {
  it("answers 503 with Retry-After instead of hanging, and a write lands at most once", async () => {
    devdb.pause();
    let answers: Response[];
    try {
      answers = await Promise.all([1, 2, 3, 4, 5, 6].map(insert));
    } finally {
      devdb.resume();
    }
    // The workspace's database is the paused one (the control database kept answering).
    expect(owner.workspace.dbUrl).toContain(`:${devdb.port}`);
    for (const res of answers) {
      const body = (await res.json()) as {
        error?: { code: string; requestId: string; details?: { deadline?: string } };
      };
      expect(body.error?.details?.deadline).toBe("database");
      expect(res.status).toBe(503);
      expect(body.error?.code).toBe("unavailable");
      expect(body.error?.requestId).toMatch(/^req_/);
      expect(res.headers.get("Retry-After")).toBe("1");
    }
    // Once the server runs again, its abandoned streams expire and roll back (sqld's idle
    // timeout): writes go through again. Retried until then, each failure is still an answer.
    let written: Response | undefined;
    for (let attempt = 0; attempt < 40; attempt++) {
      written = await insert(100);
      if (written.status !== 503) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(written?.status).toBe(201);
    // Each paused write is there once or not at all; nothing was written twice (n is unique, and
    // the count agrees with the distinct values).
    const values = await storedValues();
    expect(values.at(-1)).toBe(100);
    expect(new Set(values).size).toBe(values.length);
    expect(values.filter((n) => n !== 100).every((n) => n >= 1 && n <= 6)).toBe(true);
  }, 120_000);

  it("a retry with the same Idempotency-Key never doubles a write the pause left in doubt", async () => {
    const tallies = `/v1/workspaces/${owner.workspace.id}/tables/tallies/rows`;
    const headers = { "Idempotency-Key": `paused-${Date.now()}` };
    const send = () => call(tallies, { method: "POST", token: owner.token, body: { n: 7 }, headers });
    devdb.pause();
    let first: Response;
    let repeat: Response;
    try {
      const pending = send();
      await new Promise((resolve) => setTimeout(resolve, 300));
      // The first still holds its key: a repeat is told so at once, not held up by the pause.
      repeat = await send();
      first = await pending;
    } finally {
      devdb.resume();
    }
    const repeatBody = (await repeat.json()) as { error: { code: string } };
    expect([repeat.status, repeatBody.error.code]).toEqual([409, "idempotency_in_progress"]);
    expect(first.status).toBe(503);
    // Retried with the same key until it answers: a fresh run (the write was absent) or the news
    // that it was committed once already. Either way there is exactly one row.
    let outcome = "";
    for (let attempt = 0; attempt < 60 && !outcome; attempt++) {
      const res = await send();
      const code =
        res.status === 201 ? "created" : ((await res.json()) as { error: { code: string } }).error.code;
      if (["created", "idempotency_committed"].includes(code)) outcome = code;
      else {
        expect(["unavailable", "idempotency_in_progress"]).toContain(code);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    expect(["created", "idempotency_committed"]).toContain(outcome);
    const again = await send();
    if (outcome === "created") expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    const rows = await call(`${tallies}?limit=1000`, { token: owner.token });
    expect(((await rows.json()) as { rows: unknown[] }).rows).toHaveLength(1);
  }, 120_000);

  it("fails a tenant migration at its deadline instead of hanging the fan-out", async () => {
    devdb.pause();
    let results: Awaited<ReturnType<typeof fanOutMigrations>>;
    try {
      results = await fanOutMigrations({
        ctx: operatorContext(owner.config, "e2e"),
        input: { migrations: loadMigrations("tenant"), tenantTimeoutMs: 1000 },
      });
    } finally {
      devdb.resume();
    }
    expect(results.map((r) => [r.workspaceId, r.status])).toEqual([[owner.workspace.id, "failed"]]);
    expect(results[0]?.error).toMatch(/did not answer within/);
  }, 60_000);

  it("answers reads again at once after the resume", async () => {
    expect((await call(`/v1/workspaces/${owner.workspace.id}/tables`, { token: owner.token })).status).toBe(
      200,
    );
  });
});
