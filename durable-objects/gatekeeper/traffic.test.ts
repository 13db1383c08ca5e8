import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CALENDAR_MONTH, type GateRule } from "./rate-limit";
import { DAY_MS, DAYS, MINUTE_MS, MINUTES, TrafficHistory } from "./traffic";

const principal = () => env.GATEKEEPER.get(env.GATEKEEPER.idFromName(`test:${crypto.randomUUID()}`));

describe("TrafficHistory (clock-free)", () => {
  it("buckets admitted units and refusals per minute and per UTC day, gaps as zeros", () => {
    const history = new TrafficHistory();
    const t0 = Date.UTC(2026, 10, 3, 12, 0, 30);
    history.admitted(3, t0);
    history.admitted(2, t0 + 10_000);
    history.refused(t0 + 20_000);
    history.admitted(1, t0 + 2 * MINUTE_MS);
    const view = history.view(t0 + 2 * MINUTE_MS);
    expect(view.minutes).toHaveLength(MINUTES);
    expect(view.minutes.slice(-3)).toEqual([
      { start: Date.UTC(2026, 10, 3, 12, 0), admitted: 5, refused: 1 },
      { start: Date.UTC(2026, 10, 3, 12, 1), admitted: 0, refused: 0 },
      { start: Date.UTC(2026, 10, 3, 12, 2), admitted: 1, refused: 0 },
    ]);
    expect(view.days).toHaveLength(DAYS);
    expect(view.days.at(-1)).toEqual({ start: Date.UTC(2026, 10, 3), admitted: 6, refused: 1 });
  });

  it("forgets what falls out of the hour and the 30 days, and restores what it snapshotted", () => {
    const history = new TrafficHistory();
    const t0 = Date.UTC(2026, 10, 3, 12, 0);
    history.admitted(7, t0);
    const later = t0 + MINUTES * MINUTE_MS;
    expect(history.view(later).minutes.every((b) => b.admitted === 0)).toBe(true);
    expect(history.view(later).days.at(-1)?.admitted).toBe(7);
    expect(history.dirty).toBe(true);
    const copy = new TrafficHistory();
    copy.restore(history.snapshot(later), later);
    expect(history.dirty).toBe(false);
    expect(copy.view(later)).toEqual(history.view(later));
    expect(copy.view(t0 + DAYS * DAY_MS).days.every((b) => b.admitted === 0)).toBe(true);
  });
});

describe("Gatekeeper stats (read-only)", () => {
  it("shows each rule's window and the traffic, charges nothing, and keeps the picture over an eviction", async () => {
    const stub = principal();
    const rules: GateRule[] = [
      { id: "workspace-minute:free", limit: 3, windowMs: 60_000 },
      { id: "workspace-month", limit: 1000, windowMs: CALENDAR_MONTH },
    ];
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => stub.check({ rules })));
    expect(results.filter((r) => r.allowed)).toHaveLength(3);
    await stub.noteRefusal();
    const stats = await stub.stats(rules);
    expect(stats.windows).toEqual([
      { ...rules[0], used: 3 },
      { ...rules[1], used: 3 },
    ]);
    expect(stats.minutes.at(-1)).toMatchObject({ admitted: 3, refused: 3 });
    expect(stats.days.at(-1)).toMatchObject({ admitted: 3, refused: 3 });
    // Asking twice changes nothing: no unit charged, no window created for an unknown rule.
    const again = await stub.stats([...rules, { id: "other", limit: 1, windowMs: 60_000 }]);
    expect(again.windows.map((w) => w.used)).toEqual([3, 3, 0]);
    expect((await stub.usage()).used).toBe(3);

    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await evictDurableObject(stub);
    const restored = await stub.stats(rules);
    expect(restored.minutes.at(-1)).toMatchObject({ admitted: 3, refused: 3 });
    expect(restored.windows[0]?.used).toBe(3);
  });
});
