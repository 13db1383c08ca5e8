import type { Config } from "../config";
import { ApiError } from "../lib/errors";
import { checkOutboundTarget, OutboundRefused, outboundPolicy } from "../lib/outbound";

/** A refusal of the outbound guard as the API answers it: 400 `outbound_refused`, naming the field and rule. */
export function outboundRefusal(field: string, error: unknown): unknown {
  return error instanceof OutboundRefused
    ? new ApiError("outbound_refused", `${field} ${error.rule}`, { details: { field, rule: error.rule } })
    : error;
}

/** A URL a caller registers (JWKS, API account, webhook), checked by the guard now; fetches check it again. */
export async function checkedTargetUrl(config: Config, field: string, raw: string): Promise<string> {
  try {
    return (await checkOutboundTarget(raw, outboundPolicy(config))).toString();
  } catch (error) {
    throw outboundRefusal(field, error);
  }
}
