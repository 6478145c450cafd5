import { createHash, randomBytes } from "node:crypto";

/** 32 random bytes: 256 bits, unguessable. */
const TOKEN_BYTES = 32;
/** base64url of 32 bytes, unpadded. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A new session token, the cookie's value: 32 random bytes, base64url. */
export function newSessionToken(): string {
  return randomBytes(TOKEN_BYTES).toString("base64url");
}

/**
 * The key a session is stored under: SHA-256 of the token, hex. A fast hash is
 * enough: the token has 256 bits of entropy, so nothing can be guessed from it,
 * and a leaked sessions table yields no cookie that works.
 */
export function hashSessionToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Whether `value` could be a token we issued; anything else is not looked up. */
export function isWellFormedSessionToken(value: string): boolean {
  return TOKEN_PATTERN.test(value);
}
