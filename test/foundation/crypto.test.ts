import { describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret, envelopeVersion, importKeyring } from "../../src/lib/crypto";

const key = () => btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))));
const binding = { workspaceId: "ws_a", kind: "db_token", recordId: "ws_a" };

describe("secrets at rest (AES-256-GCM, versioned keyring, bound to their record)", () => {
  it("round-trips and never contains the plaintext", async () => {
    const keyring = await importKeyring({ active: 1, keys: { "1": key() } });
    const envelope = await encryptSecret(keyring, "super-secret-token", binding);
    expect(envelope).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(envelope).not.toContain("super-secret");
    expect(await decryptSecret(keyring, envelope, binding)).toBe("super-secret-token");
  });

  it("uses a fresh IV every time", async () => {
    const keyring = await importKeyring({ active: 1, keys: { "1": key() } });
    const a = await encryptSecret(keyring, "same", binding);
    const b = await encryptSecret(keyring, "same", binding);
    expect(a).not.toBe(b);
  });

  it.each([
    ["another workspace", { ...binding, workspaceId: "ws_b" }],
    ["another kind", { ...binding, kind: "webhook_secret" }],
    ["another record", { ...binding, recordId: "ws_b" }],
  ])("refuses a ciphertext moved to %s", async (_what, moved) => {
    const keyring = await importKeyring({ active: 1, keys: { "1": key() } });
    const envelope = await encryptSecret(keyring, "token", binding);
    await expect(decryptSecret(keyring, envelope, moved)).rejects.toThrow(/authentication failed/);
  });

  it("refuses tampered and malformed envelopes", async () => {
    const keyring = await importKeyring({ active: 1, keys: { "1": key() } });
    const envelope = await encryptSecret(keyring, "token", binding);
    const last = envelope.at(-1) === "A" ? "B" : "A";
    await expect(decryptSecret(keyring, envelope.slice(0, -1) + last, binding)).rejects.toThrow();
    await expect(decryptSecret(keyring, "v1.garbage", binding)).rejects.toThrow(/malformed/);
    await expect(decryptSecret(keyring, envelope.replace(/^v1/, "v9"), binding)).rejects.toThrow(
      /not in the keyring/,
    );
  });

  it("reads old versions after rotation and writes with the active one", async () => {
    const k1 = key();
    const old = await importKeyring({ active: 1, keys: { "1": k1 } });
    const envelope = await encryptSecret(old, "token", binding);
    const rotated = await importKeyring({ active: 2, keys: { "1": k1, "2": key() } });
    expect(await decryptSecret(rotated, envelope, binding)).toBe("token");
    expect(envelopeVersion(await encryptSecret(rotated, "token", binding))).toBe(2);
  });

  it("refuses keys that are not 256 bits", async () => {
    await expect(
      importKeyring({ active: 1, keys: { "1": btoa("too short for aes-256 but long enough text") } }),
    ).rejects.toThrow(/256 bits/);
  });
});
