// `npm run bench -- vault`: the keyring's envelope encryption against bare AES-256-GCM, and a
// whole keyring rotation over many tenants (every kind of sealed record) against a read-only
// status pass over the same records. Node's WebCrypto; the Worker's is BoringSSL behind the same API.

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseConfig } from "../src/config";
import { decryptSecret, encryptSecret, importKeyring, secretBinding } from "../src/lib/crypto";
import { newId } from "../src/lib/ids";
import { setLogSink } from "../src/lib/logger";
import type { ServiceContext } from "../src/services/core/context";
import { keyringStatus, rotateKeyring } from "../src/services/operator";
import { setSecret } from "../src/services/secrets";
import { provisionWorkspace } from "../src/services/workspaces/provision";
import { benchContext, seedOwner, startStack, startWorker } from "./_stack";
import { fmt, percentile, printTable } from "./table";

const OPS = Number(process.env.BENCH_VAULT_OPS ?? 20_000);
const TENANTS = Number(process.env.BENCH_VAULT_TENANTS ?? 1000);
const EVENTS = Number(process.env.BENCH_VAULT_EVENTS ?? 1000);
const ENDPOINTS = 3;

/** A local receiver: every delivery's id, arrival time and event time. */
async function receiver() {
  const seen: { id: string; arrivedAt: number; eventAt: number }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { timestamp: string };
      seen.push({
        id: String(req.headers["webhook-id"]),
        arrivedAt: Date.now(),
        eventAt: Date.parse(body.timestamp),
      });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, seen, close: () => new Promise((r) => server.close(r)) };
}

/** One bulk insert of EVENTS rows, each a row.created for ENDPOINTS endpoints, through the real queue. */
async function webhookFanOut(vars: Record<string, string>): Promise<void> {
  const owner = await seedOwner(vars, "enterprise");
  const worker = await startWorker(vars);
  const receivers = await Promise.all(Array.from({ length: ENDPOINTS }, receiver));
  try {
    const base = `/v1/workspaces/${owner.workspace.id}`;
    const ok = async (res: Promise<Response>, status: number, what: string) => {
      const r = await res;
      if (r.status !== status) throw new Error(`bench: ${what}: ${r.status} ${await r.text()}`);
    };
    await ok(
      worker.call(`${base}/tables`, {
        method: "POST",
        token: owner.token,
        body: { name: "events", columns: [{ name: "n", type: "integer" }] },
      }),
      201,
      "table",
    );
    for (const r of receivers) {
      await ok(
        worker.call(`${base}/webhooks`, {
          method: "POST",
          token: owner.token,
          body: { url: r.url, events: ["row.created"] },
        }),
        201,
        "endpoint",
      );
    }
    const started = Date.now();
    await ok(
      worker.call(`${base}/tables/events/rows`, {
        method: "POST",
        token: owner.token,
        body: { rows: Array.from({ length: EVENTS }, (_, n) => ({ n })) },
      }),
      201,
      "insert",
    );
    const expected = EVENTS * ENDPOINTS;
    const deadline = Date.now() + 300_000;
    const all = () => receivers.flatMap((r) => r.seen);
    while (new Set(all().map((s) => s.id)).size < expected && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const seen = all();
    const unique = new Set(seen.map((s) => s.id)).size;
    const endToEnd = Math.max(...seen.map((s) => s.arrivedAt)) - started;
    const latencies = seen.map((s) => s.arrivedAt - s.eventAt);
    console.log("");
    printTable(
      [`webhooks: ${EVENTS} row events × ${ENDPOINTS} endpoints`, "value"],
      [
        ["deliveries expected", expected],
        [
          "end to end (insert request → last delivery)",
          `${fmt(endToEnd / 1000, 1)} s (${fmt((unique / endToEnd) * 1000, 0)} deliveries/s)`,
        ],
        [
          "delivery latency p50 / p95 (event time → arrival)",
          `${fmt(percentile(latencies, 50), 0)} ms / ${fmt(percentile(latencies, 95), 0)} ms`,
        ],
        ["lost", expected - unique],
        ["duplicates (at-least-once; receivers dedupe by webhook-id)", seen.length - unique],
      ],
    );
  } finally {
    await Promise.all(receivers.map((r) => r.close()));
    await worker.dispose();
  }
}

async function opsPerSecond(n: number, one: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(1000, n); i++) await one(i);
  const started = performance.now();
  for (let i = 0; i < n; i++) await one(i);
  return n / ((performance.now() - started) / 1000);
}

export default async function bench(): Promise<void> {
  setLogSink(() => {});
  const stack = await startStack();
  try {
    const parsed = parseConfig(stack.vars);
    if (!parsed.ok) throw new Error(parsed.problems.join("; "));
    const config = parsed.config;

    // 1. Envelopes against bare AES-256-GCM with the same key and plaintext size.
    const keyring = await importKeyring(config.ISLET_KEYRING);
    const key = keyring.keys.get(keyring.active) as CryptoKey;
    const plaintext = "sk-live-0123456789abcdef0123456789abcdef";
    const bytes = new TextEncoder().encode(plaintext);
    const binding = secretBinding("function_secret", "ws_bench", "API_KEY");
    const sealed = await encryptSecret(keyring, plaintext, binding);
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const bare = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, bytes);
    const rows = [
      [
        "AES-256-GCM encrypt, bare (baseline)",
        await opsPerSecond(OPS, () =>
          crypto.subtle.encrypt(
            { name: "AES-GCM", iv: crypto.getRandomValues(new Uint8Array(12)) },
            key,
            bytes,
          ),
        ),
      ],
      [
        "encryptSecret (envelope, bound AAD)",
        await opsPerSecond(OPS, () => encryptSecret(keyring, plaintext, binding)),
      ],
      [
        "AES-256-GCM decrypt, bare (baseline)",
        await opsPerSecond(OPS, () => crypto.subtle.decrypt({ name: "AES-GCM", iv }, key, bare)),
      ],
      [
        "decryptSecret (envelope, bound AAD)",
        await opsPerSecond(OPS, () => decryptSecret(keyring, sealed, binding)),
      ],
    ] as [string, number][];
    printTable(
      ["operation", "ops/s", "ratio to bare"],
      rows.map(([label, rate], i) => [
        label,
        fmt(rate, 0),
        `${fmt(rate / (rows[i - (i % 2)]?.[1] ?? rate), 2)}×`,
      ]),
    );

    // 2. Rotation over many tenants: a database token each, and a vault secret each.
    const ctx = (c = config): ServiceContext => ({
      ...benchContext(c),
      actor: { type: "operator", operatorId: "bench" },
    });
    const setupStart = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < TENANTS) {
          next++;
          const workspace = await provisionWorkspace({
            ctx: ctx(),
            input: { name: "vault bench", slug: `vault-${newId("s").slice(-12)}`, region: "eu-west" },
          });
          await setSecret({
            ctx: ctx(),
            input: { workspaceId: workspace.id, name: "API_KEY", value: plaintext },
          });
        }
      }),
    );
    const setupMs = performance.now() - setupStart;
    const old = config.ISLET_KEYRING;
    const rotatedVars = {
      ...stack.vars,
      ISLET_KEYRING: JSON.stringify({
        active: 2,
        keys: {
          ...old.keys,
          "2": Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64"),
        },
      }),
    };
    const rotatedParsed = parseConfig(rotatedVars);
    if (!rotatedParsed.ok) throw new Error(rotatedParsed.problems.join("; "));
    const rotated = rotatedParsed.config;
    const statusStart = performance.now();
    await keyringStatus({ ctx: ctx(rotated) });
    const statusMs = performance.now() - statusStart;
    const rotateStart = performance.now();
    const report = await rotateKeyring({ ctx: ctx(rotated), input: {} });
    const rotateMs = performance.now() - rotateStart;
    if (report.failed.length > 0) throw new Error(`bench: ${report.failed.length} records failed to rotate`);
    const resumeStart = performance.now();
    await rotateKeyring({ ctx: ctx(rotated), input: {} });
    const resumeMs = performance.now() - resumeStart;
    console.log("");
    printTable(
      [`${TENANTS} tenants, ${report.total} sealed records`, "ms", "records/s", "ratio"],
      [
        [
          "keyring status: read every envelope (baseline)",
          fmt(statusMs, 0),
          fmt(report.total / (statusMs / 1000), 0),
          "1.00×",
        ],
        [
          "keyring rotate: re-encrypt every record",
          fmt(rotateMs, 0),
          fmt(report.rotated / (rotateMs / 1000), 0),
          `${fmt(rotateMs / statusMs, 2)}×`,
        ],
        [
          "keyring rotate again (all current: the resume cost)",
          fmt(resumeMs, 0),
          "",
          `${fmt(resumeMs / statusMs, 2)}×`,
        ],
      ],
    );
    console.log(
      `\n(setup: ${TENANTS} tenants provisioned with a secret each in ${fmt(setupMs / 1000, 1)} s)`,
    );
    await webhookFanOut(stack.vars);
  } finally {
    await stack.stop();
  }
}
