import type { ServiceContext } from "../core/context";
import { noteSecurityEvent } from "../security-log/record";

/**
 * Account events go to the platform `security_log` (architecture §9): a sign-in belongs to no tenant.
 * Best effort for events that must not fail the request they describe (a failed login still
 * answers 401); the failure to log is itself logged.
 */
export async function securityEvent(
  ctx: ServiceContext,
  action: string,
  event: { subjectUserId?: string; details?: Record<string, unknown> } = {},
): Promise<void> {
  await noteSecurityEvent(ctx, { action, subjectUserId: event.subjectUserId, details: event.details ?? {} });
}
