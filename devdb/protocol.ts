// Hrana 3 over HTTP, JSON encoding (libsql docs/HRANA_3_SPEC.md, "Hrana over HTTP" and "Shared
// structures"): request schemas and the value codec. Unknown fields are ignored, as the spec asks.
import { z } from "zod";
import type { SqlValue } from "./values.ts";

export type { Col, ProtoValue, SqlValue, StmtResult } from "./values.ts";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const int32 = z
  .number()
  .int()
  .min(-(2 ** 31))
  .max(2 ** 31 - 1);
const uint32 = z
  .number()
  .int()
  .min(0)
  .max(2 ** 32 - 1);

// Integers travel as decimal strings so that 64-bit values survive JSON.
const integerValue = z
  .string()
  .regex(/^-?\d{1,19}$/, "integer values must be decimal strings")
  .transform((text, ctx) => {
    const value = BigInt(text);
    if (value < INT64_MIN || value > INT64_MAX) {
      ctx.addIssue({ code: "custom", message: "integer value is out of the 64-bit range" });
      return z.NEVER;
    }
    return value;
  });

// Standard base64; the padding is optional (js-base64 in @libsql/hrana-client sends it, other
// encoders may not).
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, "blob values must be base64");

export const valueSchema = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("null") }),
    z.object({ type: z.literal("integer"), value: integerValue }),
    z.object({ type: z.literal("float"), value: z.number() }),
    z.object({ type: z.literal("text"), value: z.string() }),
    z.object({ type: z.literal("blob"), base64 }),
  ])
  .transform((v): SqlValue => {
    switch (v.type) {
      case "null":
        return null;
      case "blob":
        return Buffer.from(v.base64, "base64");
      default:
        return v.value;
    }
  });

export const stmtSchema = z.object({
  sql: z.string().nullish(),
  sql_id: int32.nullish(),
  args: z.array(valueSchema).nullish(),
  named_args: z.array(z.object({ name: z.string(), value: valueSchema })).nullish(),
  want_rows: z.boolean().nullish(),
});
export type Stmt = z.infer<typeof stmtSchema>;

export type BatchCond =
  | { type: "ok"; step: number }
  | { type: "error"; step: number }
  | { type: "not"; cond: BatchCond }
  | { type: "and"; conds: BatchCond[] }
  | { type: "or"; conds: BatchCond[] }
  | { type: "is_autocommit" };

export const batchCondSchema: z.ZodType<BatchCond> = z.lazy(() =>
  z.discriminatedUnion("type", [
    z.object({ type: z.literal("ok"), step: uint32 }),
    z.object({ type: z.literal("error"), step: uint32 }),
    z.object({ type: z.literal("not"), cond: batchCondSchema }),
    z.object({ type: z.literal("and"), conds: z.array(batchCondSchema) }),
    z.object({ type: z.literal("or"), conds: z.array(batchCondSchema) }),
    z.object({ type: z.literal("is_autocommit") }),
  ]),
);

export const batchSchema = z.object({
  steps: z.array(z.object({ condition: batchCondSchema.nullish(), stmt: stmtSchema })),
});
export type Batch = z.infer<typeof batchSchema>;

const sqlRef = { sql: z.string().nullish(), sql_id: int32.nullish() };

export const streamRequestSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("close") }),
  z.object({ type: z.literal("execute"), stmt: stmtSchema }),
  z.object({ type: z.literal("batch"), batch: batchSchema }),
  z.object({ type: z.literal("sequence"), ...sqlRef }),
  z.object({ type: z.literal("describe"), ...sqlRef }),
  z.object({ type: z.literal("store_sql"), sql_id: int32, sql: z.string() }),
  z.object({ type: z.literal("close_sql"), sql_id: int32 }),
  z.object({ type: z.literal("get_autocommit") }),
]);
export type StreamRequest = z.infer<typeof streamRequestSchema>;

export const pipelineBodySchema = z.object({
  baton: z.string().nullish(),
  requests: z.array(streamRequestSchema),
});
export const cursorBodySchema = z.object({ baton: z.string().nullish(), batch: batchSchema });

/** The Hrana `Error` structure. */
export interface ProtoError {
  message: string;
  code: string;
}

/** A readable one-line summary of a zod failure for 400 responses. */
export function describeIssues(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return "invalid request body";
  const path = issue.path.length > 0 ? issue.path.join(".") : "body";
  return `${path}: ${issue.message}`;
}
