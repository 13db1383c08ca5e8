// RFC 9116: /.well-known/security.txt tells a researcher where to report, from this deployment's
// configuration; /security serves the policy it names.
import { describe, expect, it } from "vitest";
import { securityTxt } from "../../src/services/disclosure";
import { call, testConfig } from "../helpers";

/** RFC 9116 §4's grammar, read as a checker would: comments, blank lines, `Field: value`. */
function fieldsOf(text: string): [string, string][] {
  return text
    .split(/\r?\n/)
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const match = /^([A-Za-z0-9-]+): (\S.*)$/.exec(line);
      if (!match) throw new Error(`not a field line: ${line}`);
      return [match[1]?.toLowerCase() ?? "", match[2] ?? ""];
    });
}

describe("security.txt", () => {
  it("is served as RFC 9116 asks: Contact, one Expires within a year, Canonical and Policy of this deployment", async () => {
    const res = await call("GET", "/.well-known/security.txt");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/plain; charset=utf-8/i);
    const fields = fieldsOf(await res.text());
    const all = (name: string) => fields.filter(([field]) => field === name).map(([, value]) => value);
    const origin = new URL(testConfig().PUBLIC_URL).origin;
    expect(all("contact").length).toBeGreaterThan(0);
    for (const contact of all("contact")) expect(contact).toMatch(/^(mailto:|https:|tel:)/);
    expect(all("expires")).toHaveLength(1);
    const expires = Date.parse(all("expires")[0] ?? "");
    expect(expires).toBeGreaterThan(Date.now());
    expect(expires).toBeLessThanOrEqual(Date.now() + 365 * 86_400_000);
    expect(all("canonical")).toEqual([`${origin}/.well-known/security.txt`]);
    expect(all("policy")).toEqual([`${origin}/security`]);
    expect(all("preferred-languages")).toEqual(["en"]);

    const policy = await call("GET", "/security");
    expect(policy.status).toBe(200);
    expect(policy.headers.get("Content-Type")).toMatch(/^text\/markdown/);
    expect(await policy.text()).toMatch(/Reporting a vulnerability/);
  });

  it("comes from configuration: contacts, policy, and an expiry never more than a year out", () => {
    const now = Date.parse("2027-03-01T12:00:00Z");
    const text = securityTxt(
      testConfig({
        PUBLIC_URL: "https://api.acme.example",
        SECURITY_CONTACT: "mailto:psirt@acme.example, https://acme.example/report",
        SECURITY_POLICY_URL: "https://acme.example/disclosure",
        SECURITY_TXT_EXPIRES: "2030-01-01T00:00:00Z",
      }),
      now,
    );
    expect(fieldsOf(text)).toEqual([
      ["contact", "mailto:psirt@acme.example"],
      ["contact", "https://acme.example/report"],
      ["expires", new Date(now + 365 * 86_400_000).toISOString()],
      ["preferred-languages", "en"],
      ["canonical", "https://api.acme.example/.well-known/security.txt"],
      ["policy", "https://acme.example/disclosure"],
    ]);
    // Unset: security@ this deployment's own host, never a hard-coded domain.
    const fallback = fieldsOf(securityTxt(testConfig({ PUBLIC_URL: "https://islet.other.example" }), now));
    expect(fallback[0]).toEqual(["contact", "mailto:security@islet.other.example"]);
    expect(() => testConfig({ SECURITY_CONTACT: "javascript:alert(1)" })).toThrow(/SECURITY_CONTACT/);
  });
});
