import { describe, expect, it } from "vitest";
import { REDACTED, scrubberFor } from "./scrub";

describe("scrubberFor", () => {
  it("redacts a secret as is, in any letter case, percent-encoded and as UTF-16 read as UTF-8", () => {
    const secret = "sk-Live_0123456789/abc";
    const { text } = scrubberFor([secret]);
    const leaks = [
      secret,
      secret.toUpperCase(),
      secret.toLowerCase(),
      encodeURIComponent(secret),
      [...secret].join("\u0000"),
    ];
    for (const leak of leaks) expect(text(`before ${leak} after`)).toBe(`before ${REDACTED} after`);
  });

  it("matches short values only as they are, so a common word does not vanish in another case", () => {
    const { text } = scrubberFor(["prod"]);
    expect(text("prod Prod PROD")).toBe(`${REDACTED} Prod PROD`);
  });

  it("redacts overlapping occurrences once, and leaves other text as it was", () => {
    const { text } = scrubberFor(["abcdefgh", "efghijkl"]);
    expect(text("x abcdefghijkl y")).toBe(`x ${REDACTED} y`);
    expect(text("nothing to see")).toBe("nothing to see");
  });

  it("handles long non-ASCII secrets and many of them without building a pattern", () => {
    const long = "é".repeat(6000);
    const cjk = "鍵".repeat(4000);
    const many = Array.from({ length: 50 }, (_, i) => `${i}-${"x".repeat(10_000)}`);
    const { text } = scrubberFor([long, cjk, ...many]);
    expect(text(`a ${long} b ${cjk.toUpperCase()} c`)).toBe(`a ${REDACTED} b ${REDACTED} c`);
    expect(text(`${many[7]}`)).toBe(REDACTED);
  });

  it("keeps indices right when lower-casing would change the text's length", () => {
    const { text } = scrubberFor(["SECRET-VALUE-1234"]);
    expect(text("İ secret-value-1234 İ SECRET-VALUE-1234")).toBe(`İ ${REDACTED} İ ${REDACTED}`);
  });
});
