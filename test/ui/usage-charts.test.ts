// Usage and audit as pictures: the workspace's Gatekeeper shows its window and recent traffic
// (admitted and 429s, including a refusal decided by a key's own cap), the API answers the same
// numbers (`…/usage/traffic`, `…/audit/activity`), and the usage page draws them as SVG with the
// plan's limit line, coloured by classes only (the CSP refuses style attributes).
import { exports } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { signedUpBrowser } from "./helpers";

interface Traffic {
  plan: string;
  perMinute: { used: number; limit: number; perPrincipal: number };
  month: { used: number; limit: number };
  minutes: { start: number; admitted: number; refused: number }[];
  days: { start: number; admitted: number; refused: number }[];
  refusedLastHour: number;
}

describe("usage as pictures", () => {
  it("counts requests and 429s per minute and day against the plan, in the API and as SVG", async () => {
    const { browser, workspaceId } = await signedUpBrowser();
    const ws = `/app/w/${workspaceId}`;
    await browser.get(`${ws}/keys`);
    const created = await browser.submit(`${ws}/keys`, {
      name: "capped",
      scopes: "data:read",
      perMinute: "2",
    });
    const key = /id="new-key-token">([^<]+)</.exec(created.html)?.[1]?.trim() ?? "";
    expect(key).toMatch(/^isk_/);
    const request = () =>
      exports.default.fetch(
        new Request(`http://127.0.0.1:8787/v1/workspaces/${workspaceId}/tables`, {
          headers: { Authorization: `Bearer ${key}` },
        }),
      );
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await request()).status);
    expect(statuses).toEqual([200, 200, 429, 429]);

    // The key's own cap refused them; the workspace's counter hears of it after the response, at
    // most once a second per isolate (a flood of one key's 429s is not a flood of calls to the
    // object every request of the workspace needs): the first refusal now, the second with the
    // next one told.
    const refusedLastHour = (n: number) =>
      vi.waitFor(
        async () => {
          const res = await browser.raw("GET", `/v1/workspaces/${workspaceId}/usage/traffic`);
          expect(res.status).toBe(200);
          const body = (await res.json()) as Traffic;
          expect(body.refusedLastHour).toBe(n);
          return body;
        },
        { timeout: 5_000, interval: 50 },
      );
    await refusedLastHour(1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await request()).status).toBe(429);
    const traffic = await refusedLastHour(3);
    expect(traffic.plan).toBe("free");
    expect(traffic.perMinute.limit).toBe(300);
    expect(traffic.perMinute.perPrincipal).toBe(100);
    expect(traffic.minutes).toHaveLength(60);
    expect(traffic.days).toHaveLength(30);
    // The two admitted key requests and the owner's own page views are all the workspace's.
    expect(traffic.minutes.at(-1)?.admitted).toBeGreaterThanOrEqual(2);
    expect(traffic.perMinute.used).toBe(traffic.minutes.at(-1)?.admitted ?? -1);
    expect(traffic.month.used).toBeGreaterThanOrEqual(traffic.perMinute.used);

    const activity = await browser.raw("GET", `/v1/workspaces/${workspaceId}/audit/activity?days=7`);
    const body = (await activity.json()) as {
      days: { start: number; counts: Record<string, number> }[];
      actions: { action: string; total: number }[];
    };
    expect(body.days).toHaveLength(7);
    expect(body.days.at(-1)?.counts["key.create"]).toBe(1);
    expect(body.actions.map((a) => a.action)).toContain("key.create");

    const page = await browser.get(`${ws}/usage`);
    expect(page.status).toBe(200);
    expect(page.html).toContain("3 refused with 429 in the last hour");
    expect(page.html).toMatch(/<figure class="chart" id="per-minute">[\s\S]*<svg[\s\S]*class="limit"/);
    expect(page.html).toContain("limit 300/min");
    expect(page.html).toMatch(/<figure class="chart" id="per-day">/);
    expect(page.html).toMatch(/<figure class="chart" id="audit-activity">[\s\S]*key\.create/);
    expect(page.html).toContain('class="bar bar-refused"');
    // Colours and sizes by class and attribute only: nothing the page CSP would block.
    expect(page.html).not.toMatch(/\sstyle=/);
  });

  it("is for admins, as the usage API is", async () => {
    const owner = await signedUpBrowser();
    const other = await signedUpBrowser("Eve");
    const res = await other.browser.raw("GET", `/v1/workspaces/${owner.workspaceId}/usage/traffic`);
    expect(res.status).toBe(404);
    const audit = await other.browser.raw("GET", `/v1/workspaces/${owner.workspaceId}/audit/activity`);
    expect(audit.status).toBe(404);
  });
});
