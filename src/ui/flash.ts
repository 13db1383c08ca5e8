// What a form's redirect carries to the page it lands on (POST-redirect-GET): a notice in words and,
// for a freshly minted credential, its one-time reveal. A reload of the landing page must neither
// repeat the POST (a second key) nor show the secret again, and the secret must never travel in a
// URL or a log. So it rides in one short-lived `__Host-` HttpOnly cookie, sealed with the keyring
// (AES-256-GCM, bound to this browser's session), read once by the page it names and deleted by
// that same response.
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../http/env";
import { decryptSecret, encryptSecret, importKeyring, type SecretBinding } from "../lib/crypto";

export const FLASH_COOKIE = "__Host-islet_flash";
/** Long enough for the redirect to be followed, short enough that a left-over reveal lapses. */
const FLASH_SECONDS = 120;
const cookie = { path: "/", secure: true, sameSite: "Strict", httpOnly: true } as const;

/** A secret shown once: what it is, its value, and a line about what to do with it. */
export interface Reveal {
  /** The element id of the value (the copy button names it). */
  id: string;
  title: string;
  value: string;
  caption?: string;
}

export interface Flash {
  /** A sentence for the landing page's notice. */
  notice?: string;
  reveal?: Reveal;
  /** What the landing page itself shows of the action (read back with its own schema). */
  state?: Record<string, unknown>;
}

/** A browser cookie holds about 4 KB: what a flash carries stays well under it once sealed. */
export const FLASH_TEXT_MAX = 1000;
export const clip = (text: string, max = FLASH_TEXT_MAX) =>
  text.length <= max ? text : `${text.slice(0, max)}… (cut short here)`;

interface Sealed extends Flash {
  /** The only page that may read it. */
  path: string;
  expiresAt: number;
}

/** The flash of one browser session: a flash copied into another browser does not open there. */
const bindingOf = (c: Context<AppEnv>, session?: string): SecretBinding => {
  const actor = c.get("actor");
  return {
    workspaceId: "dashboard",
    kind: "page_flash",
    recordId: session ?? (actor?.type === "user" ? actor.sessionId : "signed-out"),
  };
};

/**
 * The most a sealed flash may be: browsers keep a cookie of up to 4096 bytes (name and value) and
 * silently drop a larger one, which would lose the page's answer, or a secret's only showing.
 */
const FLASH_COOKIE_MAX = 4096 - FLASH_COOKIE.length - 1;

/** `value` with every string in it cut to `max` characters (a page's state: texts, lists of lines). */
function clipDeep(value: unknown, max: number): unknown {
  if (typeof value === "string") return clip(value, max);
  if (Array.isArray(value)) return value.map((v) => clipDeep(v, max));
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clipDeep(v, max)]));
  return value;
}

/**
 * Redirects (303) to `path`, carrying `flash` to it. What the page shows of the action (`state`)
 * is cut shorter until the sealed cookie fits: text that JSON escapes (quotes, newlines) can grow
 * several times over once sealed and base64-encoded. The notice and a reveal are never cut.
 */
export async function redirectWithFlash(c: Context<AppEnv>, path: string, flash: Flash): Promise<Response> {
  const keyring = await importKeyring(c.get("config").ISLET_KEYRING);
  const seal = (state: Flash["state"]) => {
    const sealed: Sealed = {
      ...flash,
      ...(state ? { state } : {}),
      path: path.split("?")[0] ?? path,
      expiresAt: Date.now() + FLASH_SECONDS * 1000,
    };
    return encryptSecret(keyring, JSON.stringify(sealed), bindingOf(c));
  };
  let value = await seal(flash.state);
  for (let max = FLASH_TEXT_MAX / 2; value.length > FLASH_COOKIE_MAX && flash.state && max >= 16; max /= 2) {
    value = await seal(clipDeep(flash.state, max) as Flash["state"]);
  }
  if (value.length > FLASH_COOKIE_MAX) throw new Error("a page flash does not fit in a cookie");
  setCookie(c, FLASH_COOKIE, value, { ...cookie, maxAge: FLASH_SECONDS });
  return c.redirect(path, 303);
}

/**
 * The flash addressed to this page, taken: the response deletes the cookie, so a reload (or any
 * later visit) finds nothing. A flash for another page is left for that page; a stale, foreign or
 * tampered one is dropped.
 */
export function takeFlash(c: Context<AppEnv>): Promise<Flash | undefined> {
  // A page may read its flash before the layout does: one take per request, the same answer.
  let taken = takes.get(c.req.raw);
  if (!taken) {
    taken = take(c);
    takes.set(c.req.raw, taken);
  }
  return taken;
}

const takes = new WeakMap<Request, Promise<Flash | undefined>>();

async function take(c: Context<AppEnv>): Promise<Flash | undefined> {
  const value = getCookie(c, FLASH_COOKIE);
  if (!value || c.req.method !== "GET") return undefined;
  let sealed: Sealed;
  try {
    const keyring = await importKeyring(c.get("config").ISLET_KEYRING);
    sealed = JSON.parse(await decryptSecret(keyring, value, bindingOf(c))) as Sealed;
  } catch {
    deleteCookie(c, FLASH_COOKIE, cookie);
    return undefined;
  }
  if (sealed.expiresAt <= Date.now()) {
    deleteCookie(c, FLASH_COOKIE, cookie);
    return undefined;
  }
  if (sealed.path !== c.req.path) return undefined;
  deleteCookie(c, FLASH_COOKIE, cookie);
  return { notice: sealed.notice, reveal: sealed.reveal, state: sealed.state };
}
