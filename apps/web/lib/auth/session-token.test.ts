import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hashSessionToken, isWellFormedSessionToken, newSessionToken } from "./session-token";

describe("session tokens", () => {
  it("are 32 random bytes in base64url: 43 URL- and cookie-safe characters, never repeated", () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => newSessionToken()));
    expect(tokens.size).toBe(1000);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(token, "base64url")).toHaveLength(32);
      expect(isWellFormedSessionToken(token)).toBe(true);
    }
  });

  it("are stored as their SHA-256 in hex, which is stable and differs from the token", () => {
    const token = newSessionToken();
    const hash = hashSessionToken(token);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(createHash("sha256").update(token).digest("hex"));
    expect(hashSessionToken(token)).toBe(hash);
    expect(hash).not.toContain(token);
    expect(hashSessionToken(newSessionToken())).not.toBe(hash);
  });

  it.each([
    ["empty", ""],
    ["too short", "abc"],
    ["one character too long", `${"a".repeat(44)}`],
    ["standard base64 characters", `${"a".repeat(41)}+/`],
    ["padding", `${"a".repeat(42)}=`],
    ["an injection attempt", `' OR 1=1 --${"a".repeat(32)}`],
  ])("refuses a malformed cookie value (%s) without looking it up", (_label, value) => {
    expect(isWellFormedSessionToken(value)).toBe(false);
  });
});
