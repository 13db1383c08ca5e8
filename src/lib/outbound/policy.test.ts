// The outbound-URL policy, checked against the function itself: no request leaves the machine.
import { describe, expect, it } from "vitest";
import { checkOutboundUrl } from "./policy";

const strict = { insecureLocal: false };
// Counted by the issue: at least 60 URLs covering every form the guard refuses.
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
    // The rest of the special-purpose IPv4 space.
    ["https://0.1.2.3/", "must be a public address"],
    ["https://127.255.255.254/", "must be a public address"],
    ["https://10.255.255.255/", "must be a public address"],
    ["https://172.31.255.1/", "must be a public address"],
    ["https://192.168.0.1:8443/", "must be a public address"],
    ["https://169.254.0.1/", "must be a public address"],
    ["https://100.127.255.254/", "must be a public address"],
    ["https://100.100.100.200/", "must be a public address"], // Alibaba Cloud metadata (CGNAT)
    ["https://192.0.0.170/", "must be a public address"], // NAT64 discovery (RFC 7050)
    ["https://192.0.2.10/", "must be a public address"], // TEST-NET-1
    ["https://198.51.100.10/", "must be a public address"], // TEST-NET-2
    ["https://203.0.113.10/", "must be a public address"], // TEST-NET-3
    ["https://198.18.0.1/", "must be a public address"], // benchmarking
    ["https://240.0.0.1/", "must be a public address"], // reserved
    ["https://255.255.255.255/", "must be a public address"],
    ["https://239.255.255.250/", "must be a public address"],
    // More ways to write an IPv4 address, all normalised by the URL parser.
    ["https://0x7f000001/", "must be a public address"],
    ["https://017700000001/", "must be a public address"],
    ["https://127.1/", "must be a public address"],
    ["https://10.1/", "must be a public address"],
    ["https://0/", "must be a public address"],
    ["https://0xa9.0xfe.0xa9.0xfe/", "must be a public address"],
    ["https://3232235777/", "must be a public address"], // 192.168.1.1
    // IPv6: loopback, unspecified, ULA, link-local, multicast, and the forms that hide IPv4.
    ["https://[::]/", "must be a public address"],
    ["https://[0:0:0:0:0:0:0:1]/", "must be a public address"],
    ["https://[fc00::1]/", "must be a public address"],
    ["https://[fd00:ec2::254]/", "must be a public address"], // AWS metadata over IPv6
    ["https://[ff02::1]/", "must be a public address"],
    ["https://[::ffff:10.0.0.1]/", "must be a public address"],
    ["https://[::ffff:a9fe:a9fe]/", "must be a public address"],
    ["https://[::ffff:8.8.8.8]/", "must be a public address"], // mapped, whatever it maps to
    ["https://[64:ff9b::a00:1]/", "must be a public address"], // NAT64 of 10.0.0.1
    ["https://[64:ff9b:1::a9fe:a9fe]/", "must be a public address"], // local-use NAT64
    ["https://[2002:a00:1::]/", "must be a public address"], // 6to4 of 10.0.0.1
    ["https://[2001::1]/", "must be a public address"], // Teredo
    ["https://[2001:db8::1]/", "must be a public address"], // documentation
    ["https://[100::1]/", "must be a public address"], // discard
    // Names that only mean something inside a network, cloud metadata names among them.
    ["https://metadata/", "must be a public address"],
    ["https://metadata.google.internal/computeMetadata/v1/", "must be a public address"],
    ["https://instance-data.ec2.internal/", "must be a public address"],
    ["https://printer.local/", "must be a public address"],
    ["https://router.home.arpa/", "must be a public address"],
    ["https://1.0.0.10.in-addr.arpa/", "must be a public address"],
    ["https://app.localhost./", "must be a public address"],
    ["https://nas.lan/", "must be a public address"],
    ["https://intranet/", "must be a public address"],
    ["https://LOCALHOST/", "must be a public address"],
    ["https://db.localdomain/", "must be a public address"],
    // Schemes other than https.
    ["file:///etc/passwd", "must use https"],
    ["gopher://idp.example.com/", "must use https"],
    ["ws://idp.example.com/", "must use https"],
    ["data:text/plain,hi", "must use https"],
    ["https://:pw@idp.example.com/", "must not carry credentials"],
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
