import { describe, expect, it } from "vitest";
import { decoyPasswordHash, DEFAULT_SCRYPT_PARAMS, hashPassword, verifyPassword } from "./password";

/** Cheap parameters for the cases that do not test the defaults. */
const FAST = { N: 1024, r: 8, p: 1 };

describe("hashPassword", () => {
  it("stores the algorithm, its parameters, a 16-byte salt and a 64-byte key", async () => {
    const hash = await hashPassword("correct horse battery staple");
    const [algorithm, N, r, p, salt, key] = hash.split("$");
    expect({ algorithm, N: Number(N), r: Number(r), p: Number(p) }).toEqual({ algorithm: "scrypt", ...DEFAULT_SCRYPT_PARAMS });
    expect(Buffer.from(salt!, "base64")).toHaveLength(16);
    expect(Buffer.from(key!, "base64")).toHaveLength(64);
    expect(hash).not.toContain("correct horse");
  });

  it("salts every hash anew: one password, two different hashes", async () => {
    const [first, second] = await Promise.all([hashPassword("same password", FAST), hashPassword("same password", FAST)]);
    expect(first).not.toBe(second);
    await expect(verifyPassword("same password", first)).resolves.toBe(true);
    await expect(verifyPassword("same password", second)).resolves.toBe(true);
  });
});

describe("verifyPassword", () => {
  it("accepts the password and refuses any other, with the default parameters", async () => {
    const hash = await hashPassword("s3cret-password");
    await expect(verifyPassword("s3cret-password", hash)).resolves.toBe(true);
    await expect(verifyPassword("s3cret-passworD", hash)).resolves.toBe(false);
    await expect(verifyPassword("s3cret-password ", hash)).resolves.toBe(false);
    await expect(verifyPassword("", hash)).resolves.toBe(false);
  });

  it("uses the parameters stored with the hash, so old hashes keep working when the defaults change", async () => {
    const hash = await hashPassword("older password", FAST);
    expect(hash.startsWith("scrypt$1024$8$1$")).toBe(true);
    await expect(verifyPassword("older password", hash)).resolves.toBe(true);
  });

  it("treats composed and decomposed Unicode as the same password", async () => {
    const composed = "caf\u00e9-p\u00e4ssword";
    const decomposed = composed.normalize("NFD");
    expect(decomposed).not.toBe(composed);
    await expect(verifyPassword(decomposed, await hashPassword(composed, FAST))).resolves.toBe(true);
  });

  it.each([
    ["an empty string", ""],
    ["another algorithm", "bcrypt$2b$10$abc"],
    ["a missing key", "scrypt$1024$8$1$c2FsdA=="],
    ["N not a power of two", "scrypt$1000$8$1$c2FsdA==$a2V5"],
    ["N far too large (memory)", `scrypt$${2 ** 24}$8$1$c2FsdA==$a2V5`],
    ["r out of range", "scrypt$1024$64$1$c2FsdA==$a2V5"],
    ["non-numeric parameters", "scrypt$x$8$1$c2FsdA==$a2V5"],
  ])("matches nothing against a malformed hash: %s", async (_label, stored) => {
    await expect(verifyPassword("anything", stored)).resolves.toBe(false);
  });
});

describe("decoyPasswordHash", () => {
  it("is a real hash (so checking it costs a real check) that no typed password matches", async () => {
    const decoy = await decoyPasswordHash();
    expect(decoy).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await decoyPasswordHash()).toBe(decoy);
    await expect(verifyPassword("password", decoy)).resolves.toBe(false);
  });
});
