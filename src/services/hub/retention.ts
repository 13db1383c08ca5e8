import { configSchema } from "../../config";

/** How much of a workspace's row events its hub keeps for resuming sockets (architecture §5). */
export interface Retention {
  /** At most this many events… */
  events: number;
  /** …and none stored longer ago than this. */
  ms: number;
}

const retentionSchema = configSchema.pick({ REALTIME_RETENTION_EVENTS: true, REALTIME_RETENTION_MS: true });

/**
 * The retention window from the Worker's env (REALTIME_RETENTION_EVENTS, REALTIME_RETENTION_MS).
 * Read by the hub, which has no request to parse the whole config for; a value the config rejects
 * makes the Worker refuse to serve anyway, so the hub keeps the defaults meanwhile rather than
 * drop events.
 */
export function realtimeRetention(env: object): Retention {
  const parsed = retentionSchema.safeParse(env);
  const values = parsed.success ? parsed.data : retentionSchema.parse({});
  return { events: values.REALTIME_RETENTION_EVENTS, ms: values.REALTIME_RETENTION_MS };
}
