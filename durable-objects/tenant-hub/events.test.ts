import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { RowEvent } from "../../src/services/hub/protocol";
import { EventLog } from "./events";

// The realtime event log (issue 31 item 2) in a real TenantHub's SQLite storage, one fresh hub per
// test. Time is the `now` each call is given, so the 10-minute bound is checked without waiting.
const hub = () => env.TENANT_HUB.get(env.TENANT_HUB.idFromName(`test:${crypto.randomUUID()}`));
const event = (table: string, id: number): RowEvent => ({ type: "row.created", table, id, at: 0 });
const inHub = <T>(stub: ReturnType<typeof hub>, fn: (sql: SqlStorage) => T) =>
  runInDurableObject(stub, (_instance, state) => fn(state.storage.sql));

describe("realtime event log", () => {
  it("numbers events on from where it was after the hub's eviction", async () => {
    const stub = hub();
    const retention = { events: 100, ms: 60_000 };
    const first = await inHub(stub, (sql) => {
      const log = new EventLog(sql, retention);
      log.migrate();
      return log.append([event("a", 1), event("b", 2)], 1_000).map((e) => e.position);
    });
    expect(first).toEqual([1, 2]);
    await evictDurableObject(stub);
    const after = await inHub(stub, (sql) => {
      const log = new EventLog(sql, retention);
      log.migrate();
      const next = log.append([event("a", 3)], 2_000).map((e) => e.position);
      return { next, replay: log.after(1, ["a", "b"], 10, 2_000) };
    });
    expect(after.next).toEqual([3]);
    expect(after.replay).toEqual({
      events: [
        { ...event("b", 2), position: 2 },
        { ...event("a", 3), position: 3 },
      ],
      more: false,
    });
  });

  it("keeps at most the window's count and age, and says resync for what it let go", async () => {
    const stub = hub();
    const result = await inHub(stub, (sql) => {
      const log = new EventLog(sql, { events: 3, ms: 10_000 });
      log.migrate();
      log.append(
        [1, 2, 3, 4].map((id) => event("a", id)),
        0,
      ); // 1 falls out by count
      const byCount = [log.after(0, ["a"], 10, 0), log.after(1, ["a"], 10, 0)];
      log.append([event("a", 5)], 9_000); // 2 falls out by count; 3 and 4 are in the window…
      const inWindow = log.after(2, ["a"], 10, 9_000);
      // …until 10 s after they were stored, when only 5 is young enough.
      const byAge = [log.after(3, ["a"], 10, 10_001), log.after(4, ["a"], 10, 10_001)];
      const paged = log.after(4, ["a"], 0, 10_001);
      return { byCount, inWindow, byAge, paged, head: log.head() };
    });
    expect(result.byCount[0]).toEqual({ resync: true, head: 4 });
    expect(result.byCount[1]).toMatchObject({ events: [{ id: 2 }, { id: 3 }, { id: 4 }], more: false });
    expect(result.inWindow).toMatchObject({ events: [{ id: 3 }, { id: 4 }, { id: 5 }], more: false });
    expect(result.byAge[0]).toEqual({ resync: true, head: 5 });
    expect(result.byAge[1]).toMatchObject({ events: [{ id: 5, position: 5 }], more: false });
    expect(result.paged).toEqual({ events: [], more: true });
    expect(result.head).toBe(5);
  });
});
