// A minimal Worker for bench/auth.ts: Argon2id inside workerd with the Worker's own module
// (precompiled WebAssembly via wrangler's CompiledWasm rule). Workers freeze timers during
// execution (Spectre mitigation), so the bench times requests from outside and subtracts a
// no-op request.
import { hashPassword, verifyPassword } from "../src/services/auth/argon2-wasm";

// wrangler.toml declares the Gatekeeper Durable Object; its class must be exported (unused here).
export { Gatekeeper } from "../durable-objects/gatekeeper";

const PASSWORD = "bench password with enough length";
let stored: Promise<string> | undefined;

export default {
  async fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === "/hash") return new Response(await hashPassword(PASSWORD));
    if (pathname === "/verify") {
      stored ??= hashPassword(PASSWORD);
      const { ok } = await verifyPassword(PASSWORD, await stored);
      return new Response(ok ? "ok" : "mismatch", { status: ok ? 200 : 500 });
    }
    if (pathname === "/pbkdf2") {
      // The Workers-native alternative, at its cap of 100,000 iterations (below OWASP's 600,000).
      const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(PASSWORD), "PBKDF2", false, [
        "deriveBits",
      ]);
      const salt = crypto.getRandomValues(new Uint8Array(16));
      await crypto.subtle.deriveBits(
        { name: "PBKDF2", hash: "SHA-256", salt, iterations: 100_000 },
        key,
        256,
      );
      return new Response("ok");
    }
    return new Response("noop");
  },
};
