// `npm run bench -- vault`: the keyring's envelope encryption against bare AES-256-GCM, and a
// whole keyring rotation over many tenants (every kind of sealed record) against a read-only
// status pass over the same records. Node's WebCrypto; the Worker's is BoringSSL behind the same API.
import { parseConfig } from "../src/env";
import { decryptSecret, encryptSecret, importKeyring, secretBinding } from "../src/lib/crypto";
import { newId } from "../src/lib/ids";
import { setLogSink } from "../src/lib/logger";
import type { ServiceContext } from "../src/services/context";
import { keyringStatus, rotateKeyring } from "../src/services/operator";
import { setSecret } from "../src/services/secrets";
import { provisionWorkspace } from "../src/services/workspaces/provision";
import { benchContext, startStack } from "./_stack";
import { fmt, printTable } from "./table";

const OPS = Number(process.env.BENCH_VAULT_OPS ?? 20_000);
const TENANTS = Number(process.env.BENCH_VAULT_TENANTS ?? 1000);

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
  } finally {
    await stack.stop();
  }
}
