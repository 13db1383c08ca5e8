import { z } from "zod";
import { ID_FORMATS } from "../lib/ids";

/** Shared pieces of the domains' schemas. */

/** Epoch milliseconds. */
export const epochMs = z.number().int();

/** The workspace a verb addresses. Its shape is checked (a malformed id is simply not found). */
export const workspaceIdInput = z.string().min(1).max(64);
export const workspaceScoped = z.object({ workspaceId: workspaceIdInput });

export const idOf = (kind: keyof typeof ID_FORMATS, what: string) =>
  z.string().regex(ID_FORMATS[kind], `must be ${what}`);

/** A confirmation naming the target of a destructive operation (DESIGN §3). */
export const confirmation = z.string().max(100).optional();
/** `?confirm=` for clients that drop DELETE bodies. */
export const confirmationQuery = z.object({ confirm: confirmation });
