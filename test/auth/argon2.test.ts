import { describe, expect, it } from "vitest";
import { ARGON2_PARAMS, DUMMY_HASH, hashPassword, verifyPassword } from "../../src/services/auth/argon2-wasm";

describe("Argon2id password hashing in workerd", () => {
  it("stores a PHC string with OWASP parameters and verifies it", async () => {
    const phc = await hashPassword("correct horse battery staple");
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword("correct horse battery staple", phc)).toEqual({
      ok: true,
      needsRehash: false,
    });
    expect((await verifyPassword("correct horse battery stapl", phc)).ok).toBe(false);
  });

  it("asks for a rehash when the stored parameters are not today's", async () => {
    const old = await hashPassword("an older password hash", {
      ...ARGON2_PARAMS,
      iterations: 1,
      memorySize: 4096,
    });
    expect(await verifyPassword("an older password hash", old)).toEqual({ ok: true, needsRehash: true });
  });

  it("never matches the dummy hash or a malformed one", async () => {
    expect((await verifyPassword("anything at all here", DUMMY_HASH)).ok).toBe(false);
    expect((await verifyPassword("x", "$argon2id$v=19$m=99999999,t=2,p=1$AAAA$AAAA")).ok).toBe(false);
    expect((await verifyPassword("x", "not a hash")).ok).toBe(false);
  });
});
