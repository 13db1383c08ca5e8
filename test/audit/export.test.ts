// GET /v1/workspaces/:id/audit/export: Pro and above, audited, streamed page by page, CSV that no
// spreadsheet will execute.
import { describe, expect, it } from "vitest";
import { call, errorCode, json } from "../helpers";
import { directTenant, seedAuditRows, tenantLog, workspaceOnPlan } from "./helpers";

/** RFC 4180 records (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted && ch === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (quoted && ch === '"') quoted = false;
    else if (quoted) field += ch;
    else if (ch === '"') quoted = true;
    else if (ch === ",") {
      record.push(field);
      field = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      record.push(field);
      records.push(record);
      record = [];
      field = "";
      i++;
    } else field += ch;
  }
  return records;
}

const exportPath = (workspaceId: string, query = "") => `/v1/workspaces/${workspaceId}/audit/export${query}`;

describe("audit export", () => {
  it("is refused on the free plan with plan_required, and writes nothing", async () => {
    const { owner, workspace } = await workspaceOnPlan("free");
    const before = await tenantLog(workspace);
    const res = await call("GET", exportPath(workspace.id), { token: owner.token });
    expect(res.status).toBe(402);
    expect(await errorCode(res)).toBe("plan_required");
    expect(await tenantLog(workspace)).toEqual(before);
  });

  it("exports NDJSON on Pro, oldest first, and records audit.export with the caller's IP and request id", async () => {
    const { owner, workspace } = await workspaceOnPlan("pro");
    const res = await call("GET", exportPath(workspace.id, "?format=ndjson"), {
      token: owner.token,
      headers: { "CF-Connecting-IP": "198.51.100.23" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^application\/x-ndjson/);
    expect(res.headers.get("Content-Disposition")).toMatch(/^attachment; filename="audit-ws_/);
    const lines = (await res.text())
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.action)).toEqual(["workspace.plan_change", "audit.export"]);
    const exported = (await tenantLog(workspace)).at(-1);
    expect(exported).toMatchObject({
      action: "audit.export",
      ip: "198.51.100.23",
      request_id: res.headers.get("X-Request-Id"),
      actor_id: owner.id,
    });
    expect(JSON.parse(exported?.details ?? "{}")).toMatchObject({ format: "ndjson" });
  });

  it("neutralises spreadsheet formulas in CSV cells", async () => {
    const { owner, workspace } = await workspaceOnPlan("business");
    const payloads = [
      '=HYPERLINK("http://x.invalid","open")',
      "+1+1",
      "-2+3",
      "@SUM(A1:A2)",
      "\t=1",
      " =1",
      "a,b\r\nc",
    ];
    const tenant = await directTenant(workspace);
    await seedAuditRows(tenant, payloads.length, (i) => ({
      user_agent: payloads[i] ?? null,
      target_id: payloads[i] ?? null,
    }));
    tenant.close();
    // And one through the API: the User-Agent is the classic attacker-controlled cell.
    await call("GET", `/v1/workspaces/${workspace.id}/audit`, { token: owner.token });
    const res = await call("GET", exportPath(workspace.id, "?format=csv"), {
      token: owner.token,
      headers: { "User-Agent": "=cmd|' /C calc'!A0" },
    });
    expect(res.headers.get("Content-Type")).toMatch(/^text\/csv/);
    const [header, ...records] = parseCsv(await res.text());
    const ua = header?.indexOf("user_agent") ?? -1;
    const target = header?.indexOf("target_id") ?? -1;
    const cells = records.flatMap((r) => [r[ua] ?? "", r[target] ?? ""]);
    for (const cell of cells) expect(cell, cell).not.toMatch(/^\s*[=+\-@\t\r]/);
    for (const payload of payloads.slice(0, 6)) expect(cells).toContain(`'${payload}`);
    expect(cells).toContain("a,b\r\nc");
    expect(records.at(-1)?.[ua]).toBe("'=cmd|' /C calc'!A0");
  });

  it("streams 100,000 events page by page", { timeout: 180_000 }, async () => {
    const { owner, workspace } = await workspaceOnPlan("pro");
    const seeder = await directTenant(workspace);
    await seedAuditRows(seeder, 100_000);
    const before = (await tenantLog(workspace)).length;
    const res = await call("GET", exportPath(workspace.id), { token: owner.token });
    expect(res.status).toBe(200);
    const reader = res.body?.pipeThrough(new TextDecoderStream()).getReader();
    if (!reader) throw new Error("no body");
    const first = await reader.read();
    expect(first.done).toBe(false);
    // The response has started. Now change the newest row behind the API's back: a stream that
    // reads as the client consumes shows the change in its last line; one buffered before the
    // first byte could not.
    await seeder.execute("DROP TRIGGER _islet_audit_log_no_update");
    await seeder.execute(
      "UPDATE _islet_audit_log SET action = 'late.edit' WHERE seq = (SELECT MAX(seq) FROM _islet_audit_log)",
    );
    seeder.close();
    let text = first.value ?? "";
    let lines = 0;
    let last = "";
    for (;;) {
      const nl = text.lastIndexOf("\n");
      if (nl >= 0) {
        const complete = text.slice(0, nl);
        lines += complete.split("\n").length;
        last = complete.slice(complete.lastIndexOf("\n") + 1);
        text = text.slice(nl + 1);
      }
      const next = await reader.read();
      if (next.done) break;
      text += next.value;
    }
    expect(text).toBe("");
    expect(lines).toBe(before + 1); // every event, plus the export's own
    expect(lines).toBeGreaterThan(100_000);
    expect(JSON.parse(last)).toMatchObject({ action: "late.edit" });
  });

  it("validates the format", async () => {
    const { owner, workspace } = await workspaceOnPlan("pro");
    const res = await call("GET", exportPath(workspace.id, "?format=xlsx"), { token: owner.token });
    expect(await errorCode(res)).toBe("invalid_request");
    expect(
      await json(await call("GET", `/v1/workspaces/${workspace.id}/audit`, { token: owner.token })),
    ).toMatchObject({
      events: [{ action: "workspace.plan_change" }],
    });
  });
});
