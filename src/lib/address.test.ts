import { describe, expect, it } from "vitest";
import { addressKey, isLoopback } from "./address";

describe("addressKey", () => {
  it("keys IPv4 by the address and IPv6 by its /64", () => {
    expect(addressKey("203.0.113.7")).toBe("203.0.113.7");
    expect(addressKey("2001:db8:a:b:1:2:3:4")).toBe("2001:db8:a:b::/64");
    expect(addressKey("2001:db8:a:b::ffff")).toBe(addressKey("2001:db8:a:b:9:9:9:9"));
    expect(addressKey("2001:db8:a:c::1")).not.toBe(addressKey("2001:db8:a:b::1"));
    expect(addressKey("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(addressKey("not an ip")).toBe("unknown");
    expect(addressKey(null)).toBe("unknown");
  });

  it("recognises loopback callers only", () => {
    for (const ip of ["127.0.0.1", "127.9.8.7", "::1", "::ffff:127.0.0.1"]) expect(isLoopback(ip)).toBe(true);
    for (const ip of ["203.0.113.7", "10.0.0.1", "::", "2001:db8::1", "", null, "localhost"])
      expect(isLoopback(ip)).toBe(false);
  });
});
