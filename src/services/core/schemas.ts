import { z } from "zod";
import { ID_FORMATS } from "../../lib/ids";

/** Shared pieces of the domains' schemas. */

/** Epoch milliseconds. */
export const epochMs = z.number().int();

/** The workspace a verb addresses. Its shape is checked (a malformed id is simply not found). */
export const workspaceIdInput = z.string().min(1).max(64);
export const workspaceScoped = z.object({ workspaceId: workspaceIdInput });

export const idOf = (kind: keyof typeof ID_FORMATS, what: string) =>
  z.string().regex(ID_FORMATS[kind], `must be ${what}`);

/** A confirmation naming the target of a destructive operation (architecture §3). */
export const confirmation = z.string().max(100).optional();
/** `?confirm=` for clients that drop DELETE bodies. */
export const confirmationQuery = z.object({ confirm: confirmation });

/**
 * An Idempotency-Key (draft-ietf-httpapi-idempotency-key-header; services/idempotency): an opaque
 * client string of 1–255 printable ASCII characters.
 */
export const idempotencyKey = z
  .string()
  // Spaces inside only: HTTP trims a header value's ends.
  .regex(/^[\x21-\x7e](?:[\x20-\x7e]{0,253}[\x21-\x7e])?$/, "must be 1–255 printable ASCII characters");

/** A field shown once (a token, a secret) as transports declare it: a replay leaves it out. */
export const shownOnce = (what: string) =>
  z
    .string()
    .optional()
    .describe(
      `${what}, shown this once: absent when the answer is the replay of an earlier request with the same Idempotency-Key`,
    );
