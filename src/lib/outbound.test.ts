// The outbound-URL policy, checked against the function itself: no request leaves the machine.
import { describe, expect, it } from "vitest";
import { checkOutboundUrl } from "./outbound";

const strict = { insecureLocal: false };
const local = { insecureLocal: true };
const reason = (url: string, policy = strict) => {
  const verdict = checkOutboundUrl(url, policy);
  return verdict.ok ? "ok" : verdict.reason;
};

describe("outbound URL policy", () => {
  it("allows public https", () => {
    expect(reason("https://idp.example.com/.well-known/jwks.json")).toBe("ok");
    expect(reason("https://93.184.216.34/x")).toBe("ok");
  });

  it.each([
    ["http://idp.example.com/", "must use https"],
    ["ftp://idp.example.com/", "must use https"],
    ["https://user:pw@idp.example.com/", "must not carry credentials"],
    ["not a url", "is not a URL"],
    ["https://127.0.0.1/", "must be a public address"],
    ["https://localhost/", "must be a public address"],
    ["https://api.localhost/", "must be a public address"],
    ["https://[::1]/", "must be a public address"],
    ["https://10.0.0.8/", "must be a public address"],
    ["https://192.168.1.1/", "must be a public address"],
    ["https://172.16.0.1/", "must be a public address"],
    ["https://169.254.169.254/latest/meta-data/", "must be a public address"],
    ["https://100.64.0.1/", "must be a public address"],
    ["https://0.0.0.0/", "must be a public address"],
    ["https://[::ffff:127.0.0.1]/", "must be a public address"],
    ["https://[fd00::1]/", "must be a public address"],
    ["https://[::127.0.0.1]/", "must be a public address"],
    ["https://[::a9fe:a9fe]/", "must be a public address"],
    ["https://[fe80::1]/", "must be a public address"],
    ["https://224.0.0.1/", "must be a public address"],
    // WHATWG URL parsing normalises decimal, octal and hex IPv4 forms to dotted quads.
    ["https://2130706433/", "must be a public address"],
    ["https://0177.0.0.1/", "must be a public address"],
    ["https://0x7f.0.0.1/", "must be a public address"],
    // A fully qualified name's root dot names the same host.
    ["https://localhost./", "must be a public address"],
    ["https://127.0.0.1./", "must be a public address"],
    ["https://10.0.0.8../", "must be a public address"],
  ])("refuses %s", (url, why) => {
    expect(reason(url)).toBe(why);
  });

  it("allows loopback, over plain HTTP too, only in insecure-local mode", () => {
    expect(reason("http://127.0.0.1:8787/jwks", local)).toBe("ok");
    expect(reason("http://localhost:9000/", local)).toBe("ok");
    expect(reason("http://127.0.0.1:8787/jwks")).toBe("must use https");
    expect(reason("http://10.0.0.8/", local)).toBe("must use https");
    expect(reason("https://10.0.0.8/", local)).toBe("must be a public address");
  });
});
