// Helpers for devdb's own tests: a real server in a temp dir, real @libsql/client instances, real
// Ed25519 keys. Nothing here is mocked.
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient } from "@libsql/client";
import { SignJWT } from "jose";
import { type Devdb, type DevdbOptions, startDevdb } from "./server.ts";

export interface TestDevdb extends Devdb {
  dir: string;
  /** Stops the server and removes its directory. */
  cleanup(): Promise<void>;
}

export async function startTestDevdb(options: Partial<DevdbOptions> = {}): Promise<TestDevdb> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "devdb-test-")));
  let devdb: Devdb;
  try {
    devdb = await startDevdb({ ...options, dir });
  } catch (error) {
    if (options.dir === undefined) await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    ...devdb,
    dir,
    async cleanup() {
      await devdb.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A fetch that adds `x-namespace`, for clients of a namespace other than `default`. */
export function namespaceFetch(namespace: string): (input: Request) => Promise<Response> {
  return (input) => {
    const req = new Request(input);
    req.headers.set("x-namespace", namespace);
    return fetch(req);
  };
}

export interface ClientOptions {
  namespace?: string;
  authToken?: string;
  intMode?: "number" | "bigint" | "string";
}

export function clientFor(url: string, options: ClientOptions = {}): Client {
  return createClient({
    url,
    authToken: options.authToken,
    intMode: options.intMode ?? "number",
    fetch: options.namespace === undefined ? undefined : namespaceFetch(options.namespace),
  });
}

/** Calls the admin API; returns status and parsed JSON body. */
export async function admin(
  devdb: Devdb,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${devdb.adminUrl}${path}`, {
    method,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function createNamespace(devdb: Devdb, name: string, token?: string): Promise<void> {
  const { status, body } = await admin(devdb, "POST", `/v1/namespaces/${name}/create`, token);
  if (status !== 200) throw new Error(`create ${name}: ${status} ${JSON.stringify(body)}`);
}

/** POSTs a raw JSON (or raw text) body to a Hrana endpoint. */
export async function hranaPost(
  devdb: Devdb,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; text: string; json: () => Record<string, unknown> }> {
  const res = await fetch(`${devdb.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

/**
 * A request with an explicit Host header (`<ns>.localhost:<port>`), which fetch does not allow
 * callers to set; sent over node:http to the loopback address.
 */
export function postWithHost(
  devdb: Devdb,
  host: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: devdb.port,
        path,
        method: "POST",
        headers: {
          ...headers,
          host,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(data),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) }),
        );
      },
    );
    req.on("error", reject);
    req.end(data);
  });
}

export interface SigningKey {
  publicPem: string;
  /** sqld's raw form: the 32-byte public key, base64url. */
  publicRaw: string;
  privateKey: KeyObject;
}

export function ed25519(): SigningKey {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const jwk = publicKey.export({ format: "jwk" });
  return {
    publicPem: publicKey.export({ format: "pem", type: "spki" }).toString(),
    publicRaw: jwk.x as string,
    privateKey,
  };
}

/** Signs claims as islet's provisioner does: EdDSA, `iat`, optional `exp` (seconds from now). */
export function signToken(key: SigningKey, claims: Record<string, unknown>, expiresInSeconds?: number) {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: "EdDSA", typ: "JWT" }).setIssuedAt();
  if (expiresInSeconds !== undefined) jwt.setExpirationTime(Math.floor(Date.now() / 1000) + expiresInSeconds);
  return jwt.sign(key.privateKey);
}

/** Runs `fn` and returns what it threw (failing the test when it does not throw). */
export async function caught(fn: () => Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await fn();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error("expected the call to fail");
}
