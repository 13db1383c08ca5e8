// The dashboard's static files, served by the Worker itself (no third-party origin): each at a
// content-hashed URL with a year of immutable caching, referenced with subresource integrity.
import { Hono } from "hono";
import type { AppEnv } from "../http/env";
import { bytesToBase64, bytesToHex } from "../lib/encoding";
import script from "./static/app.client.js";
import css from "./static/app.css";

interface Asset {
  path: string;
  integrity: string;
  body: string;
  type: string;
}

const SOURCES = [
  { name: "app", ext: "js", body: script, type: "text/javascript; charset=utf-8" },
  { name: "app", ext: "css", body: css, type: "text/css; charset=utf-8" },
] as const;

async function describe(source: (typeof SOURCES)[number]): Promise<Asset> {
  const bytes = new TextEncoder().encode(source.body);
  const [sha256, sha384] = await Promise.all([
    crypto.subtle.digest("SHA-256", bytes),
    crypto.subtle.digest("SHA-384", bytes),
  ]);
  return {
    path: `/assets/${source.name}.${bytesToHex(new Uint8Array(sha256)).slice(0, 16)}.${source.ext}`,
    integrity: `sha384-${bytesToBase64(new Uint8Array(sha384))}`,
    body: source.body,
    type: source.type,
  };
}

let built: Promise<{ script: Asset; style: Asset }> | undefined;

/** The hashed script and stylesheet (computed once per isolate). */
export function assets(): Promise<{ script: Asset; style: Asset }> {
  built ??= Promise.all(SOURCES.map(describe)).then(([script, style]) => ({
    script: script as Asset,
    style: style as Asset,
  }));
  return built;
}

/** `GET /assets/<name>.<hash>.<ext>`: only the current hashes exist. */
export const assetRoutes = new Hono<AppEnv>().get("/assets/:file", async (c) => {
  const { script, style } = await assets();
  const asset = [script, style].find((a) => a.path === c.req.path);
  if (!asset) return c.notFound();
  return new Response(asset.body, {
    headers: {
      "Content-Type": asset.type,
      "Cache-Control": "public, max-age=31536000, immutable",
    },
  });
});
