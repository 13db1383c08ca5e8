// `npm run bench -- auth`: what accounts and sessions cost.
// 1. Argon2id (m=19 MiB, t=2, p=1 — OWASP) per hash and per verify, inside workerd (a minimal
//    Worker, bench/_auth-argon2-worker.ts, timed from outside minus a no-op request, because
//    Workers freeze timers while running) and under Node with the same library; PBKDF2-SHA256 at
//    the Workers cap of 100k iterations as the baseline it replaces.
// 2. Access-token verification (jose, HS256, all claim checks) in ops/s, against a bare
//    HMAC-SHA256 verify of the same bytes.
// 3. Login end to end through the real Worker (workerd) with devdb: success, wrong password and
//    unknown email, against an anonymous 404 through the same middleware chain.
// No traffic beyond loopback: the breached-password API is the local stand-in from test/fixtures.
import { unstable_startWorker } from "wrangler";
import { parseConfig } from "../src/config";
import { controlDb } from "../src/db/control/client";
import { users } from "../src/db/control/schema";
import { newId } from "../src/lib/ids";
import { signAccessToken, verifyAccessToken } from "../src/lib/jwt";
import { setLogSink } from "../src/lib/logger";
import { ARGON2_PARAMS, hashPassword, verifyPassword } from "../src/services/auth/argon2";
import { startPwnedFixture } from "../test/fixtures/pwned";
import { startStack } from "./_stack";
import { fmt, median, percentile, printTable, time } from "./table";

const N = Number(process.env.BENCH_AUTH_N ?? 30);
const TOKEN_OPS = Number(process.env.BENCH_AUTH_TOKEN_OPS ?? 20_000);
const PASSWORD = "bench password with enough length";

type Dispatch = (url: string, init?: RequestInit) => Promise<Response>;

interface StartedWorker {
  dispatch: Dispatch;
  dispose(): Promise<void>;
}

/** A Worker under wrangler's local runtime; requests go straight to its Miniflare instance. */
async function startWorker(bindings: Record<string, string>, entrypoint?: string): Promise<StartedWorker> {
  const worker = await unstable_startWorker({
    config: "wrangler.toml",
    ...(entrypoint ? { entrypoint } : {}),
    bindings: Object.fromEntries(
      Object.entries(bindings).map(([k, v]) => [k, { type: "plain_text", value: v }]),
    ),
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, watch: false, logLevel: "none" },
  });
  await worker.ready;
  await (await worker.fetch("http://islet.bench/health")).arrayBuffer();
  const mf = worker.raw.runtimes.map((r) => r.mf).find((m) => m !== undefined);
  if (!mf) throw new Error("bench: the local runtime did not start");
  return {
    dispatch: (url, init) => mf.dispatchFetch(url, init as never) as unknown as Promise<Response>,
    dispose: () => worker.dispose(),
  };
}

async function samples(n: number, one: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await time(async () => one(i)));
  return out;
}

async function expectStatus(res: Response, status: number): Promise<void> {
  const body = await res.text();
  if (res.status !== status)
    throw new Error(`bench: expected ${status}, got ${res.status}: ${body.slice(0, 200)}`);
}

async function argon2InWorkerd(): Promise<Record<string, number[]>> {
  const worker = await startWorker({}, "bench/_auth-argon2-worker.ts");
  try {
    const get = (path: string) => async () => expectStatus(await worker.dispatch(`http://bench${path}`), 200);
    const result: Record<string, number[]> = {};
    for (const path of ["/noop", "/hash", "/verify", "/pbkdf2"]) {
      await samples(3, get(path));
      result[path] = await samples(N, get(path));
    }
    return result;
  } finally {
    await worker.dispose();
  }
}

async function argon2InNode(): Promise<{ hash: number[]; verify: number[]; pbkdf2: number[] }> {
  const stored = await hashPassword(PASSWORD);
  await samples(3, () => hashPassword(PASSWORD));
  const hash = await samples(N, () => hashPassword(PASSWORD));
  const verify = await samples(N, async () => {
    if (!(await verifyPassword(PASSWORD, stored)).ok) throw new Error("bench: verify failed");
  });
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(PASSWORD), "PBKDF2", false, [
    "deriveBits",
  ]);
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const pbkdf2 = await samples(N, () =>
    crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations: 100_000 }, key, 256),
  );
  return { hash, verify, pbkdf2 };
}

async function tokenOpsPerSecond(vars: Record<string, string>): Promise<{ jose: number; hmac: number }> {
  const parsed = parseConfig(vars);
  if (!parsed.ok) throw new Error(parsed.problems.join("; "));
  const token = await signAccessToken(parsed.config, newId("usr"), newId("ses"));
  const [signingInput = "", signature = ""] = [token.slice(0, token.lastIndexOf(".")), token.split(".")[2]];
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(vars.SESSION_JWT_SECRET),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["verify"],
  );
  const sig = Buffer.from(signature, "base64url");
  const data = new TextEncoder().encode(signingInput);
  const rate = async (fn: () => Promise<unknown>) => {
    for (let i = 0; i < 500; i++) await fn();
    const ms = await time(async () => {
      for (let i = 0; i < TOKEN_OPS; i++) await fn();
    });
    return (TOKEN_OPS / ms) * 1000;
  };
  return {
    jose: await rate(() => verifyAccessToken(parsed.config, token)),
    hmac: await rate(() => crypto.subtle.verify("HMAC", key, sig, data)),
  };
}

async function loginEndToEnd(vars: Record<string, string>) {
  const parsed = parseConfig(vars);
  if (!parsed.ok) throw new Error(parsed.problems.join("; "));
  const worker = await startWorker(vars);
  try {
    // Accounts made directly (same Argon2id PHC strings the Worker writes); each takes at most
    // 10 logins so the per-account limit (20 / 15 min) and failure backoff never interfere.
    const accounts = await Promise.all(
      Array.from({ length: Math.ceil(N / 10) + Math.ceil(N / 3) }, async () => {
        const id = newId("usr");
        const email = `${id}@bench.test`;
        const now = Date.now();
        await controlDb(parsed.config)
          .insert(users)
          .values({
            id,
            email,
            passwordHash: await hashPassword(PASSWORD),
            emailVerifiedAt: now,
            createdAt: now,
          });
        return email;
      }),
    );
    let ip = 0;
    const post = (body: unknown) =>
      worker.dispatch("http://islet.bench/v1/auth/login", {
        method: "POST",
        headers: { "Content-Type": "application/json", "CF-Connecting-IP": `198.51.100.${(ip++ % 250) + 1}` },
        body: JSON.stringify(body),
      });
    const anonymous = async () =>
      expectStatus(
        await worker.dispatch("http://islet.bench/v1/bench-unknown", {
          headers: { "CF-Connecting-IP": `203.0.113.${(ip++ % 250) + 1}` },
        }),
        404,
      );
    await samples(5, anonymous);
    const baseline = await samples(N, anonymous);
    const success = await samples(N, async (i) =>
      expectStatus(await post({ email: accounts[Math.floor(i / 10)], password: PASSWORD }), 200),
    );
    // Three wrong passwords per account stay below the backoff threshold (4 free failures).
    const wrong = await samples(N, async (i) =>
      expectStatus(
        await post({
          email: accounts[accounts.length - 1 - Math.floor(i / 3)],
          password: "wrong password!!",
        }),
        401,
      ),
    );
    const unknown = await samples(N, async () =>
      expectStatus(await post({ email: `${newId("nobody")}@bench.test`, password: "wrong password!!" }), 401),
    );
    return { baseline, success, wrong, unknown };
  } finally {
    await worker.dispose();
  }
}

export default async function bench(): Promise<void> {
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  process.env.WRANGLER_SEND_METRICS = "false";
  setLogSink(() => {});
  const pwned = await startPwnedFixture();
  const stack = await startStack();
  try {
    const vars = { ...stack.vars, PWNED_API_URL: pwned.url, MAIL_PROVIDER: "outbox" };
    const workerd = await argon2InWorkerd();
    const node = await argon2InNode();
    const tokens = await tokenOpsPerSecond(vars);
    const login = await loginEndToEnd(vars);

    const noop = median(workerd["/noop"] ?? []);
    const net = (path: string) => (workerd[path] ?? []).map((ms) => ms - noop);
    const pbkdf2Workerd = median(net("/pbkdf2"));
    const row = (label: string, s: number[], base: number) => [
      label,
      s.length,
      fmt(median(s)),
      fmt(percentile(s, 99)),
      `${fmt(median(s) / base, 2)}×`,
    ];
    console.log(
      `Argon2id parameters: m=${ARGON2_PARAMS.memorySize} KiB (19 MiB), t=${ARGON2_PARAMS.iterations}, p=${ARGON2_PARAMS.parallelism}, 32-byte tag, 16-byte salt (OWASP Password Storage Cheat Sheet).\n`,
    );
    printTable(
      ["password hashing", "n", "median ms", "p99 ms", "vs PBKDF2-100k (same runtime)"],
      [
        row("workerd: PBKDF2-SHA256 100k (baseline, Workers' cap)", net("/pbkdf2"), pbkdf2Workerd),
        row("workerd: Argon2id hash", net("/hash"), pbkdf2Workerd),
        row("workerd: Argon2id verify", net("/verify"), pbkdf2Workerd),
        row("node: PBKDF2-SHA256 100k (baseline)", node.pbkdf2, median(node.pbkdf2)),
        row("node: Argon2id hash", node.hash, median(node.pbkdf2)),
        row("node: Argon2id verify", node.verify, median(node.pbkdf2)),
      ],
    );
    console.log(`\n(workerd rows: request time minus the median no-op request, ${fmt(noop)} ms.)\n`);
    printTable(
      ["access token check (node, jose 6)", "ops/s", "µs/op", "ratio"],
      [
        [
          "bare HMAC-SHA256 verify of the token (baseline)",
          fmt(tokens.hmac, 0),
          fmt(1e6 / tokens.hmac),
          "1.00×",
        ],
        [
          "verifyAccessToken: HS256 pinned + iss/aud/exp/nbf/claims",
          fmt(tokens.jose, 0),
          fmt(1e6 / tokens.jose),
          `${fmt(tokens.hmac / tokens.jose, 2)}× slower`,
        ],
      ],
    );
    console.log("");
    const base = median(login.baseline);
    printTable(
      ["POST /v1/auth/login (workerd + devdb)", "n", "median ms", "p99 ms", "vs anonymous 404"],
      [
        row("anonymous GET 404 through the chain (baseline)", login.baseline, base),
        row("login → 200 (verify, session rows, JWT)", login.success, base),
        row("wrong password → 401", login.wrong, base),
        row("unknown email → 401 (dummy hash)", login.unknown, base),
      ],
    );
  } finally {
    await stack.stop();
    await pwned.close();
  }
}
