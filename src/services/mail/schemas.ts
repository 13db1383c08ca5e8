import { z } from "zod";
import { epochMs } from "../core/schemas";

export const outboxQuery = z.object({
  to: z.email().max(254),
  since: z.coerce.number().int().nonnegative().optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});
export const readOutboxInput = z.object({
  to: z.email().max(254),
  since: z.number().int().nonnegative().optional(),
  limit: z.number().int().min(1).max(100).optional(),
});

export const OutboxMessage = z.object({
  id: z.string(),
  ts: epochMs,
  to: z.string(),
  from: z.string(),
  subject: z.string(),
  text: z.string(),
  tag: z.string(),
});
export type OutboxMessage = z.infer<typeof OutboxMessage>;
